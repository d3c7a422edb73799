"""Intake's CPU per ``POST /v1/reports``: the HTTP path of a report, and only that.

Starts PostgreSQL, the broker and intake alone (its own process, as ``wja up`` runs it) on free ports
in a temporary directory, measures intake's idle CPU, then sends ``N`` reports with ``C`` in flight
(closed loop: this measures CPU per report, not latency; bench/run.py measures latency open loop) and
prints, per report: intake's CPU ms (user + system, less its idle CPU over the window), PostgreSQL's
(every backend), and the accepted rate. Intake's relay publishes the events meanwhile, so its CPU is
counted too: it is part of what a report costs intake.

Usage: ``python bench/report_cpu.py [N] [--concurrency C] [--keyed] [--rounds R] [--profile FILE]``.
``--keyed`` sends an ``Idempotency-Key`` with each report (the journeys do); ``--rounds`` repeats the
measured batch and prints each round and the median; ``--profile`` runs py-spy (not a dependency:
``uv pip install py-spy``) on intake over the last round, raw format, for bench/profile_summary.py.
Trace sampling: ``WJA_TRACE_SAMPLE_RATIO`` is passed on (default 1: every span exported, as in tests).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import embedded  # bench/ is on sys.path: the script's directory
import httpx
import psutil
from run import report  # the bench's own report body
from wja_platform import auth


def cpu(proc: psutil.Process, with_children: bool = False, kernel_only: bool = False) -> float:
    """CPU seconds (user + system, or system alone) of ``proc``, and of its children when asked (PostgreSQL's
    backends)."""
    total = 0.0
    for p in [proc, *(proc.children(recursive=True) if with_children else [])]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.system + (0 if kernel_only else t.user)
    return total


async def send(url: str, token: str, n: int, concurrency: int, keyed: bool, start: int) -> tuple[int, float]:
    """``n`` reports, ``concurrency`` at a time; returns how many got 201 and the seconds it took."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    accepted = 0
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as client:
        queue = iter(range(start, start + n))

        async def worker() -> None:
            nonlocal accepted
            for i in queue:
                extra = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
                r = await client.post("/v1/reports", json=report("43", i), headers=extra)
                if r.status_code == 201:
                    accepted += 1
                else:
                    print(f"report {i}: {r.status_code} {r.text[:200]}", file=sys.stderr)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return accepted, time.perf_counter() - began


def measure(url: str, token: str, intake: psutil.Process, pg: psutil.Process, args: Any, r: int) -> dict[str, Any]:
    """One measured round: CPU ms per report of intake (gross and less idle) and PostgreSQL, and the rate."""
    i0, k0, p0, w0 = cpu(intake), cpu(intake, kernel_only=True), cpu(pg, True), time.perf_counter()
    accepted, seconds = asyncio.run(send(url, token, args.n, args.concurrency, args.keyed, (r + 1) * 100_000))
    time.sleep(0.5)  # let the relay publish the round's last events
    i1, k1, p1, window = cpu(intake), cpu(intake, kernel_only=True), cpu(pg, True), time.perf_counter() - w0
    n = max(accepted, 1)
    gross = (i1 - i0) * 1000 / n
    return {
        "accepted": accepted,
        "per_s": round(accepted / seconds, 1),
        "intake_ms": round(gross, 2),
        "intake_net_ms": round(gross - args.idle_ms_per_s * window / n, 2),
        "intake_kernel_ms": round((k1 - k0) * 1000 / n, 2),
        "postgresql_ms": round((p1 - p0) * 1000 / n, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keyed", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    with embedded.running("wja-report-cpu-", services=("intake",)) as up:
        stack = up.stack
        assert stack.pg.proc is not None
        intake, pg = psutil.Process(stack.procs["intake"].pid), psutil.Process(stack.pg.proc.pid)
        url = f"http://127.0.0.1:{stack.ports['intake']}"
        token = auth.mint(up.key, sub="bench", agency="police", role="officer")
        asyncio.run(send(url, token, 200, args.concurrency, args.keyed, 0))  # warm up
        time.sleep(1)
        c0 = cpu(intake)
        time.sleep(5)
        args.idle_ms_per_s = (cpu(intake) - c0) * 1000 / 5
        print(f"load average {os.getloadavg()[0]:.2f}; intake idle {args.idle_ms_per_s:.1f} ms/s", flush=True)
        rounds = []
        for r in range(args.rounds):
            spy = None
            if args.profile and r == args.rounds - 1:
                spy = subprocess.Popen(
                    [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(intake.pid), "--rate",
                     "200", "--format", "raw", "--output", str(args.profile), "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                time.sleep(1)
            rounds.append(measure(url, token, intake, pg, args, r))
            if spy is not None:
                spy.send_signal(2)
                spy.wait()
            print(f"round {r + 1}: {rounds[-1]}", flush=True)
        med = {k: statistics.median(x[k] for x in rounds) for k in rounds[0]}
        print(
            f"median of {args.rounds} rounds of {args.n} reports ({args.concurrency} in flight"
            f"{', keyed' if args.keyed else ''}): intake {med['intake_ms']:.2f} ms CPU per report"
            f" ({med['intake_net_ms']:.2f} less idle; {med['intake_kernel_ms']:.2f} in the kernel), PostgreSQL"
            f" {med['postgresql_ms']:.2f} ms;"
            f" {med['per_s']:.1f} reports/s; load average {os.getloadavg()[0]:.2f}"
        )


if __name__ == "__main__":
    main()
