"""System benchmark: latency report → IDVA timeline, backlog under load, the national year, memory.

Starts the whole embedded stack (each service its own process) on free ports in a temporary
directory and prints, in one run:

- end-to-end latency from a report accepted at intake to its entry on the support timeline
  (p50/p95/p99) at a steady rate, and whether the backlog grows at a higher rate;
- the time to push simulated journeys through all four services at two sizes, extrapolated
  linearly to 889,918 cases (the DA crimes recorded in England and Wales, YE March 2023);
- peak RSS of each service and of the broker.

Results go to ``bench/results/latest.json`` and a table in ``docs/performance.md``.
Usage: ``python bench/run.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import psutil
from wja_cli import journeys, simulate
from wja_cli.stack import Broker, Postgres
from wja_cli.testing import free_port
from wja_cli.up import Stack
from wja_platform import auth

ROOT = Path(__file__).resolve().parents[1]
NATIONAL_YEAR = 889_918


def report(force: str, i: int) -> dict:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "force_code": force,
        "reported_at": now,
        "offences": [{"code": "abh", "occurred_at": now}],
        "victim": {
            "name": f"Bench Victim {i}",
            "date_of_birth": "1990-01-01",
            "phone": "07700 900000",
            "email": "bench@example.org",
            "address": "1 Bench Road",
            "safe_contact": "any time",
            "language": "en",
            "needs": [],
        },
        "suspect": {"name": "Bench Suspect", "relationship": "partner"},
        "risk": {"tool": "DASH", "score": 5},
        "referral_basis": "none",
    }


async def latency(stack: Stack, key: str, rate: float, seconds: float) -> dict:
    """Send reports at ``rate``/s; measure report accepted → entry on the IDVA timeline."""
    token = auth.mint(key, sub="bench", agency="police", role="officer")
    accepted: dict[str, float] = {}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{stack.ports['intake']}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:

        async def one(i: int) -> None:
            r = await client.post("/v1/reports", json=report("42", i))
            if r.status_code == 201:
                accepted[r.json()["urn"]] = time.time()

        start = time.monotonic()
        tasks, n = [], int(rate * seconds)
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        sent_for = time.monotonic() - start
    assert stack.pg is not None
    conn = await asyncpg.connect(stack.pg.dsn("support"))
    try:
        deadline = time.monotonic() + 120
        while True:
            rows = await conn.fetch(
                "SELECT urn, extract(epoch FROM arrived_at) AS at FROM entries WHERE urn ="
                " ANY($1::text[]) AND event_type = 'wja.intake.crime.reported.v1'",
                list(accepted),
            )
            if len(rows) == len(accepted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        drained = time.monotonic() - start
    finally:
        await conn.close()
    lat = sorted((float(r["at"]) - accepted[r["urn"]]) * 1000 for r in rows)
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [0.0] * 99
    return {
        "rate": rate,
        "sent": len(accepted),
        "delivered": len(rows),
        "send_seconds": round(sent_for, 2),
        "drain_seconds": round(drained, 2),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
        "backlog_grows": drained > sent_for * 1.5 + 2,
    }


def journeys_time(stack: Stack, key: str, n: int, seed: int) -> dict:
    plans = journeys.plan(n, seed=seed, forces=("43",))
    urls = {s: f"http://127.0.0.1:{stack.ports[s]}" for s in ("intake", "charging", "court", "support")}
    start = time.monotonic()
    summary = asyncio.run(simulate.simulate(plans, urls, key, rate=1000, concurrency=60, sessions=False))
    seconds = time.monotonic() - start
    return {"cases": n, "completed": summary.completed, "failed": dict(summary.failed), "seconds": round(seconds, 1)}


def rss_watch(procs: dict[str, int], peaks: dict[str, float], stop: threading.Event) -> None:
    while not stop.is_set():
        for name, pid in procs.items():
            with contextlib.suppress(psutil.Error):
                peaks[name] = max(peaks.get(name, 0.0), psutil.Process(pid).memory_info().rss / 2**20)
        time.sleep(0.5)


def main(quick: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix="wja-bench-"))
    stack = Stack(
        state_dir=root / "state", ports={s: free_port() for s in ("intake", "charging", "court", "support", "insights")}
    )
    stack.pg = Postgres(free_port(), root / "pg" / "data")
    stack.broker = Broker(free_port(), root / "broker.log")
    stack.pg.start()
    stack.pg.ensure_databases()
    stack.broker.start()
    peaks: dict[str, float] = {}
    stop = threading.Event()
    try:
        for s in stack.services:
            stack.start_service(s)
        for s in stack.services:
            stack.wait_ready(s)
        key = auth.ensure_dev_key(stack.state_dir).read_text().strip()
        procs = {s: p.pid for s, p in stack.procs.items()}
        assert stack.broker.proc is not None
        procs["broker (tansu)"] = stack.broker.proc.pid
        watcher = threading.Thread(target=rss_watch, args=(procs, peaks, stop), daemon=True)
        watcher.start()
        asyncio.run(
            simulate.create_sessions(
                simulate.Agencies(key, {"court": f"http://127.0.0.1:{stack.ports['court']}"}), days=260, capacity=1000
            )
        )
        secs = 5 if quick else 20
        steady = asyncio.run(latency(stack, key, 50, secs))
        heavy = asyncio.run(latency(stack, key, 200, secs))
        sizes = (50, 150) if quick else (200, 600)
        runs = [journeys_time(stack, key, n, seed=n) for n in sizes]
        per_case = (runs[1]["seconds"] - runs[0]["seconds"]) / (sizes[1] - sizes[0])
        national_hours = per_case * NATIONAL_YEAR / 3600
    finally:
        stop.set()
        stack.stop()
    results = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {psutil.cpu_count()} cores, "
        f"{round(psutil.virtual_memory().total / 2**30)} GiB, Python {platform.python_version()}",
        "command": "make bench" + (" (quick)" if quick else ""),
        "latency_50": steady,
        "latency_200": heavy,
        "journeys": runs,
        "seconds_per_case_marginal": round(per_case, 4),
        "national_year_hours_extrapolated": round(national_hours, 1),
        "peak_rss_mb": {k: round(v, 1) for k, v in sorted(peaks.items())},
    }
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    write_doc(results)


def write_doc(r: dict) -> None:
    lines = [
        "# Performance",
        "",
        f"Measured {r['date']} on {r['machine']} with `{r['command']}` (bench/run.py; raw figures in",
        "bench/results/latest.json). The consumer apply ratio comes from `bench/consume_ratio.py`.",
        "",
        "| measure | figure | target |",
        "|---|---|---|",
        f"| report → IDVA timeline at 50 cases/s | p50 {r['latency_50']['p50_ms']} ms, "
        f"p95 {r['latency_50']['p95_ms']} ms, p99 {r['latency_50']['p99_ms']} ms | p99 ≤ 100 ms |",
        f"| backlog at 200 cases/s | {'grows' if r['latency_200']['backlog_grows'] else 'does not grow'} "
        f"(intake accepted {round(r['latency_200']['sent'] / r['latency_200']['send_seconds'])} reports/s of the 200 "
        f"offered; drained {r['latency_200']['drain_seconds']} s after the first; p99 {r['latency_200']['p99_ms']} ms)"
        " | does not grow |",
    ]
    for run in r["journeys"]:
        lines.append(f"| {run['cases']} full journeys (≈12 events each) | {run['seconds']} s | |")
    lines += [
        f"| national year ({NATIONAL_YEAR:,} cases), extrapolated | {r['national_year_hours_extrapolated']} h"
        " | ≤ 1 h |",
        "| peak RSS | " + ", ".join(f"{k} {v} MB" for k, v in r["peak_rss_mb"].items()) + " | ≤ 150 MB a service |",
        "",
    ]
    (ROOT / "docs" / "performance.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main("--quick" in sys.argv)
