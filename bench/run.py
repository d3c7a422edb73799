"""System benchmark, open loop, every figure beside its raw ceiling.

Starts the whole embedded stack (each service its own process) on free ports in a temporary
directory and prints, in one run:

- the raw ceilings of this machine (bench/ceilings.py): aiokafka produce and consume, a one-row
  PostgreSQL transaction, an empty FastAPI request;
- consumer apply vs raw consume on the same events (bench/consume_ratio.py), the apply in one process and in two
  (bench/apply_replica.py);
- a warm-up: the first 100 reports after the services started, at 50/s, printed on their own line and kept
  out of the offered-load figures (a service's first requests pay for its cold caches and first statements:
  issue 20, docs/performance-journal.md);
- offered load, open loop: reports are sent on a fixed schedule whatever the answers (no
  coordinated omission); each report's latency counts from its *scheduled* time, both to the
  201 and to its entry on the IDVA timeline. For each offered rate: accepted rate, p50/p99,
  and whether the backlog (scheduled but not yet on the timeline) grows while offering;
- full journeys at two sizes, extrapolated to 889,918 cases (DA crimes recorded in England and
  Wales, YE March 2023);
- the same offered load with a second replica of every service (same database and consumer
  group: partitions split between them, the relay stays one by election);
- peak RSS of every process.

Usage: ``python bench/run.py [--quick]`` (or ``WJA_BENCH_QUICK=1``): quick uses smaller samples, meant to take about
two minutes on an idle machine (on the shared one: 4 min at load 10, 17 min at load 30).
Results: ``bench/results/latest.json`` and ``latest.md``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import ceilings
import consume_ratio
import httpx
import loadgen
import psutil
from wja_cli import journeys, simulate
from wja_cli.stack import Broker, Postgres, stop_process
from wja_cli.testing import free_port
from wja_cli.up import Stack
from wja_platform import auth

ROOT = Path(__file__).resolve().parents[1]
NATIONAL_YEAR = 889_918
CONSUMING = ("intake", "charging", "court", "support", "insights")


def report(force: str, i: int) -> dict[str, Any]:
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


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


IN_FLIGHT = 64
"""Requests in flight to each intake, at most, as for the empty-request ceiling: reports due beyond that wait
in the client, and that wait counts in their latency (measured from the scheduled time). A connection per
report (hundreds at once) measured the client's and the server's connection juggling more than intake."""


async def offered_load(
    intake_urls: list[str], support_dsn: str, key: str, rate: float, n: int, force: str, drain_s: float
) -> dict[str, Any]:
    """Offer ``n`` reports at ``rate``/s on a fixed schedule; measure each from its scheduled time."""
    token = auth.mint(key, sub="bench", agency="police", role="officer")
    scheduled: dict[int, float] = {}
    answered: dict[int, float] = {}
    urns: dict[str, int] = {}
    failures: collections.Counter[str] = collections.Counter()
    due: list[asyncio.Queue[int | None]] = [asyncio.Queue() for _ in intake_urls]

    async def sender(url: str, queue: asyncio.Queue[int | None]) -> None:
        conn = loadgen.Connection(url, {"Authorization": f"Bearer {token}"})
        while (i := await queue.get()) is not None:
            try:
                status, body = await conn.post_json("/v1/reports", report(force, i))
            except loadgen.HttpError as exc:
                failures[str(exc)] += 1
                continue
            if status == 201:
                answered[i] = time.time()
                urns[json.loads(body)["urn"]] = i
            else:
                failures[str(status)] += 1
        await conn.close()

    senders = [
        asyncio.create_task(sender(u, q)) for u, q in zip(intake_urls, due, strict=True) for _ in range(IN_FLIGHT)
    ]
    t0 = time.time() + 0.2
    start = time.monotonic() + 0.2
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        scheduled[i] = t0 + i / rate
        due[i % len(due)].put_nowait(i)  # on schedule, whatever the answers: a report waiting here is late
    for q in due:
        for _ in range(IN_FLIGHT):
            q.put_nowait(None)
    await asyncio.gather(*senders)
    window = n / rate
    conn = await asyncpg.connect(support_dsn)
    try:
        deadline = time.monotonic() + drain_s
        while True:
            rows = await conn.fetch(
                "SELECT urn, extract(epoch FROM arrived_at)::float8 AS at FROM entries WHERE urn = ANY($1::text[])"
                " AND event_type = 'wja.intake.crime.reported.v1'",
                list(urns),
            )
            if len(rows) == len(urns) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    arrived = {urns[r["urn"]]: float(r["at"]) for r in rows}
    http_ms = [(answered[i] - scheduled[i]) * 1000 for i in answered]
    e2e_ms = [(arrived[i] - scheduled[i]) * 1000 for i in arrived]
    last_answer = max(answered.values(), default=t0)

    def backlog(t: float) -> int:
        """Reports scheduled by ``t`` (seconds into the window) that are not on the timeline by then."""
        due = sum(1 for s in scheduled.values() if s <= t0 + t)
        return due - sum(1 for a in arrived.values() if a <= t0 + t)

    mid, end = backlog(window / 2), backlog(window)
    growth = (end - mid) / (window / 2)
    return {
        "offered_per_s": rate,
        "offered": n,
        "accepted": len(answered),
        "failed": sum(failures.values()),
        "failures": dict(failures),
        "accepted_per_s": round(len(answered) / max(last_answer - t0, window), 1),
        "answer_p50_ms": quantile(http_ms, 0.5),
        "answer_p99_ms": quantile(http_ms, 0.99),
        "on_timeline": len(arrived),
        "timeline_p50_ms": quantile(e2e_ms, 0.5),
        "timeline_p99_ms": quantile(e2e_ms, 0.99),
        "backlog_mid": mid,
        "backlog_end": end,
        "backlog_growth_per_s": round(growth, 1),
        "backlog_grows": growth > 0.05 * rate or len(arrived) < len(answered),
    }


def journeys_time(urls: dict[str, str], key: str, n: int, seed: int) -> dict[str, Any]:
    plans = journeys.plan(n, seed=seed, forces=("43",))
    start = time.monotonic()
    summary = asyncio.run(simulate.simulate(plans, urls, key, rate=1000, concurrency=60, sessions=False))
    seconds = time.monotonic() - start
    return {"cases": n, "completed": summary.completed, "failed": dict(summary.failed), "seconds": round(seconds, 1)}


def cpu_seconds(procs: dict[str, psutil.Process], pg: psutil.Process) -> dict[str, float]:
    """CPU seconds (user + system) so far of each process; PostgreSQL with all its backends; this client."""
    out: dict[str, float] = {}
    for name, proc in [*procs.items(), ("bench client", psutil.Process())]:
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            out[name] = t.user + t.system
    total = 0.0
    for proc in [pg, *pg.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    out["postgresql"] = total
    return out


def host_steal(before: Any, after: Any) -> float:
    """Percent of the machine's CPU time between two ``psutil.cpu_times()`` that the hypervisor gave to other
    guests (steal; 0 off a virtual machine). The bench's 2 cores are a VM's: on 1 December 2026 steal was 9 %
    of their busy time since boot, a possible reason the same code's CPU a journey moved from 40 to 124 ms in a day."""
    fields = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")  # guest is within user
    total = sum(getattr(after, f, 0.0) - getattr(before, f, 0.0) for f in fields)
    return round(100 * (getattr(after, "steal", 0.0) - getattr(before, "steal", 0.0)) / max(total, 1e-9), 1)


def cpu_per_report(before: dict[str, float], after: dict[str, float], reports: int) -> dict[str, float]:
    """CPU milliseconds per report of each process between two :func:`cpu_seconds` snapshots."""
    spent = {k: (after[k] - before.get(k, 0.0)) * 1000 / max(reports, 1) for k in after}
    return {k: round(v, 2) for k, v in sorted(spent.items(), key=lambda kv: -kv[1]) if v >= 0.05}


def rss_watch(procs: dict[str, psutil.Process], peaks: dict[str, float], stop: threading.Event) -> None:
    while not stop.is_set():
        for name, proc in list(procs.items()):
            with contextlib.suppress(psutil.Error):
                peaks[name] = max(peaks.get(name, 0.0), proc.memory_info().rss / 2**20)
        time.sleep(0.5)


def start_replica(stack: Stack, service: str, port: int) -> subprocess.Popen[bytes]:
    """A second process of ``service``: same database, broker and consumer group, another port."""
    env = stack.env_for(service)
    env[f"{service.upper()}_HTTP_PORT"] = str(port)
    log = stack.state_dir / "logs" / f"{service}-2.log"
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", f"wja_{service}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"replica for {url} exited")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"replica {url} not ready")


def profile(
    procs: dict[str, psutil.Process], names: list[str], seconds: int, phase: str = ""
) -> list[subprocess.Popen[bytes]]:
    """py-spy (not a dependency: ``uv pip install py-spy``) on ``names`` for ``seconds``, collapsed stacks
    to bench/results/profile-<phase><name>.txt (``WJA_BENCH_PROFILE=intake,support`` during the highest
    offered rate; ``WJA_BENCH_PROFILE_JOURNEYS=support,court`` during the larger journeys run)."""
    spy = Path(sys.executable).with_name("py-spy")
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(procs[n].pid),
                "--duration",
                str(seconds),
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(ROOT / "bench" / "results" / f"profile-{phase}{n}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in names
    ]


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def main(quick: bool) -> None:
    began, machine = time.monotonic(), psutil.cpu_times()
    root = Path(tempfile.mkdtemp(prefix="wja-bench-"))
    stack = Stack(state_dir=root / "state", ports={s: free_port() for s in CONSUMING})
    if os.environ.get("WJA_TRACE_SAMPLE_RATIO"):  # `wja up` passes no WJA_ variable on to the services
        stack.extra_env["WJA_TRACE_SAMPLE_RATIO"] = os.environ["WJA_TRACE_SAMPLE_RATIO"]
    stack.pg = Postgres(free_port(), root / "pg" / "data")
    stack.broker = Broker(free_port(), root / "broker.log")
    stack.pg.start()
    stack.pg.ensure_databases()
    stack.broker.start()
    peaks: dict[str, float] = {}
    stop = threading.Event()
    replicas: dict[str, subprocess.Popen[bytes]] = {}
    r: dict[str, Any] = {"quick": quick}
    try:
        say("ceilings")
        r["ceilings"] = {
            "kafka": asyncio.run(ceilings.kafka(stack.broker.bootstrap, 3000 if quick else 20000)),
            "postgres": asyncio.run(ceilings.postgres(_bench_db(stack.pg, "bench_ceiling"), 1000 if quick else 8000)),
            "http": ceilings.http(1000 if quick else 8000),
            "python": ceilings.python(2000 if quick else 20000),
        }
        say(f"ceilings {r['ceilings']}")
        say("consumer apply vs raw consume")
        n_apply = 2000 if quick else 20000
        r["consume"] = asyncio.run(consume_ratio.measure(stack.pg, stack.broker.bootstrap, n_apply, root / "cr"))
        say(f"consume {r['consume']}")
        stack.ports.update({s: free_port() for s in stack.ports})  # taken now: the ceilings' sockets may have had them
        for s in stack.services:
            stack.start_service(s)
        for s in stack.services:
            stack.wait_ready(s)
        time.sleep(1)
        if dead := [s for s, p in stack.procs.items() if p.poll() is not None]:  # another process had its port
            raise RuntimeError(f"{', '.join(dead)} exited after start; see {stack.state_dir / 'logs'}")
        key = auth.ensure_dev_key(stack.state_dir).read_text().strip()
        procs = {s: psutil.Process(p.pid) for s, p in stack.procs.items()}
        assert stack.broker.proc is not None
        procs["broker (tansu)"] = psutil.Process(stack.broker.proc.pid)
        assert stack.pg.proc is not None
        pg_proc = psutil.Process(stack.pg.proc.pid)
        watcher = threading.Thread(target=rss_watch, args=(procs, peaks, stop), daemon=True)
        watcher.start()
        url = {s: f"http://127.0.0.1:{stack.ports[s]}" for s in stack.services}
        asyncio.run(simulate.create_sessions(simulate.Agencies(key, {"court": url["court"]}), days=260, capacity=1000))
        support_dsn = stack.pg.dsn("support")
        idle = cpu_seconds(procs, pg_proc)
        time.sleep(5)
        r["idle_cpu_ms_per_s"] = cpu_per_report(idle, cpu_seconds(procs, pg_proc), 5)
        say(f"idle CPU ms per second: {r['idle_cpu_ms_per_s']}")
        rates = {50: 250, 200: 400} if quick else {50: 1000, 200: 1000, 500: 1000}
        drain = 20 if quick else 120
        warm = 50 if quick else 100
        say(f"warm-up: {warm} reports at 50/s, the first after the services started (not in the offered-load rows)")
        r["warmup"] = asyncio.run(offered_load([url["intake"]], support_dsn, key, 50, warm, "09", drain))
        say(str(r["warmup"]))
        r["offered"] = []
        profiled = [p for p in os.environ.get("WJA_BENCH_PROFILE", "").split(",") if p]
        for i, (rate, n) in enumerate(rates.items()):
            spies = profile(procs, profiled, int(n / rate) + 2) if rate == max(rates) else []
            say(f"offering {n} reports at {rate}/s")
            before, started = cpu_seconds(procs, pg_proc), time.monotonic()
            r["offered"].append(
                asyncio.run(offered_load([url["intake"]], support_dsn, key, rate, n, f"{10 + i}", drain))
            )
            r["offered"][-1]["cpu_ms_per_report"] = cpu_per_report(
                before, cpu_seconds(procs, pg_proc), r["offered"][-1]["accepted"]
            )
            r["offered"][-1]["cpu_window_s"] = round(time.monotonic() - started, 1)
            say(str(r["offered"][-1]))
            for spy in spies:
                spy.wait()
        sizes = (20, 60) if quick else (200, 600)
        r["journeys"] = []
        for n in sizes:
            say(f"{n} journeys")
            before, polls, host = cpu_seconds(procs, pg_proc), simulate.POLLS[0], psutil.cpu_times()
            names = [p for p in os.environ.get("WJA_BENCH_PROFILE_JOURNEYS", "").split(",") if p]
            spies = profile(procs, names, 4 if quick else 40, "journeys-") if n == max(sizes) else []
            r["journeys"].append(journeys_time(url, key, n, seed=n))
            for spy in spies:
                spy.wait()
            r["journeys"][-1]["polls_per_journey"] = round((simulate.POLLS[0] - polls) / n, 1)
            r["journeys"][-1]["cpu_ms_per_journey"] = cpu_per_report(before, cpu_seconds(procs, pg_proc), n)
            r["journeys"][-1]["host_steal_percent"] = host_steal(host, psutil.cpu_times())
        per_case = (r["journeys"][1]["seconds"] - r["journeys"][0]["seconds"]) / (sizes[1] - sizes[0])
        r["seconds_per_case_marginal"] = round(per_case, 4)
        r["national_year_hours_extrapolated"] = round(per_case * NATIONAL_YEAR / 3600, 1)
        say("second replica of every service")
        ports2 = {s: free_port() for s in stack.services}
        for s in stack.services:
            replicas[s] = start_replica(stack, s, ports2[s])
        for s in stack.services:
            wait_ready(f"http://127.0.0.1:{ports2[s]}", replicas[s])
            procs[f"{s} (replica 2)"] = psutil.Process(replicas[s].pid)
        time.sleep(3)  # let the groups rebalance
        urls2 = [url["intake"], f"http://127.0.0.1:{ports2['intake']}"]
        r["replicas"] = []
        for i, (rate, n) in enumerate(rates.items()):
            if rate < 200:
                continue
            say(f"two replicas: offering {n} reports at {rate}/s")
            before, started = cpu_seconds(procs, pg_proc), time.monotonic()
            r["replicas"].append(asyncio.run(offered_load(urls2, support_dsn, key, rate, n, f"{20 + i}", drain)))
            r["replicas"][-1]["cpu_ms_per_report"] = cpu_per_report(
                before, cpu_seconds(procs, pg_proc), r["replicas"][-1]["accepted"]
            )
            r["replicas"][-1]["cpu_window_s"] = round(time.monotonic() - started, 1)
            say(str(r["replicas"][-1]))
    finally:
        stop.set()
        for proc in replicas.values():
            stop_process(proc)
        stack.stop()
    r["peak_rss_mb"] = {k: round(v, 1) for k, v in sorted(peaks.items())}
    r["date"] = datetime.now(UTC).date().isoformat()
    r["machine"] = (
        f"{platform.machine()}, {psutil.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB,"
        f" Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end"
    )
    r["command"] = "python bench/run.py" + (" --quick" if quick else " (make bench)")
    r["trace_sample_ratio"] = os.environ.get("WJA_TRACE_SAMPLE_RATIO", "1")
    r["bench_seconds"] = round(time.monotonic() - began)
    r["host_steal_percent"] = host_steal(machine, psutil.cpu_times())
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(r, indent=2) + "\n")
    table = render(r)
    (out / "latest.md").write_text(table)
    print(table)


def _bench_db(pg: Postgres, name: str) -> str:
    pg.psql(f"CREATE DATABASE {name}")
    return f"postgresql://postgres@127.0.0.1:{pg.port}/{name}"


def _runs(rates: list[int] | None) -> str:
    """Each run's rate, as the consumer-ratio row lists them beside its medians."""
    return ", ".join(f"{x:,}" for x in rates or []) or "one run"


def render(r: dict[str, Any]) -> str:
    c = r["ceilings"]
    http = c["http"]["requests_per_s"]
    tx_ms = c["postgres"]["tx_p50_ms"]
    floor_ms = c["http"]["request_p50_ms_alone"] + 2 * tx_ms
    one_by_one = r["consume"]["applied_one_by_one_per_s"]
    lines = [
        f"Measured {r['date']} on {r['machine']} with `{r['command']}` in {r['bench_seconds']} s"
        f" (trace sample ratio {r['trace_sample_ratio']}); the host took {r.get('host_steal_percent', '?')} % of the"
        " CPU time (steal).",
        "",
        "| ceiling (raw, this machine, same run) | figure |",
        "|---|---|",
        f"| aiokafka produce (acks=all, 1 KiB) | {c['kafka']['produce_per_s']:,}/s |",
        f"| aiokafka consume | {c['kafka']['consume_per_s']:,}/s |",
        f"| one-row PostgreSQL transaction, 16 connections | {c['postgres']['tx_per_s']:,}/s, p50 {tx_ms} ms |",
        f"| empty FastAPI POST (uvicorn, 1 process, 64 in flight) | {http:,}/s; alone p50"
        f" {c['http']['request_p50_ms_alone']} ms |",
        f"| plain Python, fixed work (a JSON round trip of an event, one core; not a journey's speed) |"
        f" {c['python']['fixed_work_us']} µs of CPU (median of {c['python']['runs']}) |",
        "",
        "| measure | figure | ceiling | ratio |",
        "|---|---|---|---|",
        f"| consumer apply vs raw consume ({r['consume']['events']:,} events; medians, runs:"
        f" {_runs(r['consume'].get('applied_per_s_runs'))} vs {_runs(r['consume'].get('raw_per_s_runs'))})"
        f" | {r['consume']['applied_per_s']:,}/s | {r['consume']['raw_per_s']:,}/s | {r['consume']['ratio']:.3f} |",
        f"| the same apply one event at a time (a statement per event) | {one_by_one:,}/s"
        f" | {r['consume']['raw_per_s']:,}/s | {one_by_one / r['consume']['raw_per_s']:.3f} |",
        f"| consumer CPU per event, apply vs raw consume (this process; PostgreSQL not counted) |"
        f" {r['consume']['apply_cpu_us_per_event']} µs | {r['consume']['raw_cpu_us_per_event']} µs |"
        f" {r['consume']['cpu_ratio']:.3f} |",
    ]
    if after := r["consume"].get("published_after_ms_runs"):  # from 2 December evening
        lines.append(
            f"| the same apply: its relay (in its process) had published every outbox row, after the last event"
            f" applied (not in its rate; runs) | {', '.join(f'{t:,}' for t in after)} ms | | |"
        )
    if (rc := r["consume"]).get("replicas"):  # a results file from before 2 December evening has no such row
        shares = ", ".join(f"{n:,}" for n in rc["replicas_shares"])
        lines.append(
            f"| the same apply, {rc['replicas']} replicas (processes in one group, one run; the topic's three"
            f" partitions give one replica two: each applied {shares}) | {rc['replicas_per_s']:,}/s; while both"
            f" applied ({rc['replicas_overlap_s']} s) {rc['replicas_overlap_per_s'] or 0:,}/s; CPU an event"
            f" {rc['replicas_cpu_us_per_event']} µs | {rc['raw_per_s']:,}/s (1 process) | {rc['replicas_ratio']:.3f} |"
        )
    if w := r.get("warmup"):
        lines.append(
            f"| warm-up: the first {w['offered']} reports after the services started, at 50/s (not in the rows"
            f" below) | → IDVA timeline p50 {w['timeline_p50_ms']} ms, p99 {w['timeline_p99_ms']} ms; → 201 p99"
            f" {w['answer_p99_ms']} ms ({w['on_timeline']} arrived) | | |"
        )
    for label, runs in (("1 replica", r["offered"]), ("2 replicas", r.get("replicas", []))):
        for o in runs:
            lines += [
                f"| {label}: reports accepted, {o['offered']:,} offered at {o['offered_per_s']}/s"
                f" | {o['accepted_per_s']}/s ({o['accepted']} accepted, {o['failed']} failed) | {http:,}/s (empty"
                f" request) | {o['accepted_per_s'] / http:.3f} |",
                f"| {label}: report → 201 from its scheduled time at {o['offered_per_s']}/s | p50"
                f" {o['answer_p50_ms']} ms, p99 {o['answer_p99_ms']} ms | p50 {c['http']['request_p50_ms_alone']} ms"
                f" | {_ratio(o['answer_p50_ms'], c['http']['request_p50_ms_alone'])} |",
                f"| {label}: report → IDVA timeline from its scheduled time at {o['offered_per_s']}/s | p50"
                f" {o['timeline_p50_ms']} ms, p99 {o['timeline_p99_ms']} ms ({o['on_timeline']} arrived) | floor ≈"
                f" {floor_ms:.1f} ms (request + 2 transactions) | {_ratio(o['timeline_p50_ms'], floor_ms)} |",
                f"| {label}: backlog at {o['offered_per_s']}/s | {'GROWS' if o['backlog_grows'] else 'steady'}"
                f" ({o['backlog_mid']} at mid-window, {o['backlog_end']} at the end:"
                f" {o['backlog_growth_per_s']}/s) | | |",
                f"| {label}: CPU ms per report at {o['offered_per_s']}/s (all it causes, every process) | "
                + ", ".join(f"{k} {v}" for k, v in o["cpu_ms_per_report"].items())
                + f" | 2 cores: {2000 / _service_cpu(o):.0f} reports/s if alone | |",
                f"| {label}: the same, less the idle CPU of the window (what a report itself costs) | "
                + ", ".join(f"{k} {v}" for k, v in _net(o, r["idle_cpu_ms_per_s"]).items())
                + f" | 2 cores: {2000 / max(sum(_net(o, r['idle_cpu_ms_per_s']).values()), 0.01):.0f} reports/s"
                " if alone | |",
            ]
    lines.append(
        "| idle CPU ms per second (polling, heartbeats) | "
        + ", ".join(f"{k} {v}" for k, v in r["idle_cpu_ms_per_s"].items())
        + " | | |"
    )
    for run in r["journeys"]:
        lines.append(
            f"| {run['cases']} full journeys (≈12 events each) | {run['seconds']} s ({run['completed']}"
            f" completed; the host took {run.get('host_steal_percent', '?')} % of the CPU time) | | |"
        )
    lines += [
        f"| national year ({NATIONAL_YEAR:,} journeys), extrapolated | {r['national_year_hours_extrapolated']} h | | |",
        f"| CPU ms per journey ({r['journeys'][-1]['cases']} journeys; the bench client drives them"
        f" with `wja simulate` (its lean HTTP/1.1 client), {r['journeys'][-1]['polls_per_journey']} checks a journey"
        " for an event to arrive) | "
        + ", ".join(f"{k} {v}" for k, v in r["journeys"][-1]["cpu_ms_per_journey"].items())
        + " | | |",
        "| peak RSS | " + ", ".join(f"{k} {v} MB" for k, v in r["peak_rss_mb"].items()) + " | | |",
        "",
    ]
    return "\n".join(lines)


def _net(o: dict[str, Any], idle: dict[str, float]) -> dict[str, float]:
    """CPU ms per report less what the process spends idle over the same window (not the bench client)."""
    window, n = o.get("cpu_window_s", 0.0), max(o["accepted"], 1)
    net = {k: v - idle.get(k.replace(" (replica 2)", ""), 0.0) * window / n for k, v in o["cpu_ms_per_report"].items()}
    return {k: round(max(v, 0.0), 2) for k, v in net.items() if k != "bench client"}


def _service_cpu(o: dict[str, Any]) -> float:
    """CPU ms per report of the system (not the bench client)."""
    return max(sum(v for k, v in o["cpu_ms_per_report"].items() if k != "bench client"), 0.01)


def _ratio(value: float | None, ceiling: float) -> str:
    return f"{ceiling / value:.3f}" if value else "-"


if __name__ == "__main__":
    main("--quick" in sys.argv or os.environ.get("WJA_BENCH_QUICK", "") not in ("", "0"))
