"""CPU per full journey, per process: what the national-year figure is made of.

Starts the embedded stack (each service its own process, as ``wja up`` runs it) on free ports in a
temporary directory, runs warm-up journeys, then ``--rounds`` rounds of ``N`` journeys with ``wja simulate``
(in this process, as bench/run.py does) and prints, per journey, the CPU ms (user + system) of each service,
the broker, PostgreSQL (every backend) and this driver, with the median over the rounds. CPU figures depend
much less on what else runs on the machine than wall-clock ones; the journeys/s printed beside them do not.

Usage: ``python bench/journey_total_cpu.py [N] [--rounds R] [--concurrency C] [--profile DIR] [--postgres-conf LINES]``.
``WJA_TRACE_SAMPLE_RATIO`` is passed on (default 1: every span exported). ``--profile DIR`` runs py-spy
(``uv pip install py-spy``; not a dependency) on every service over the last round and writes
``DIR/<service>.txt`` in raw format, for bench/profile_summary.py.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import embedded  # bench/ is on sys.path: the script's directory
import psutil
from report_cpu import cpu
from wja_cli import journeys, simulate


def snapshot(procs: dict[str, psutil.Process], pg: psutil.Process) -> dict[str, float]:
    out = {name: cpu(p) for name, p in procs.items()}
    out["postgresql"] = cpu(pg, with_children=True)
    out["driver"] = time.process_time()
    return out


def spies(procs: dict[str, psutil.Process], into: Path) -> list[subprocess.Popen[bytes]]:
    """py-spy on every service process until stopped (SIGINT), raw format."""
    into.mkdir(parents=True, exist_ok=True)
    py_spy = str(Path(sys.executable).parent / "py-spy")
    return [
        subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(p.pid),
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(into / f"{n}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n, p in procs.items()
        if n != "broker"
    ]


def main(n: int, rounds: int, concurrency: int, profile: Path | None = None, postgres_conf: str = "") -> None:
    with embedded.running("wja-journey-cpu-", postgres_conf=postgres_conf) as up:
        key, urls = up.key, up.urls
        procs, pg = up.processes()
        asyncio.run(simulate.create_sessions(simulate.Agencies(key, {"court": urls["court"]}), days=260, capacity=1000))

        def run(count: int, seed: int) -> tuple[int, float]:
            plans = journeys.plan(count, seed=seed, forces=("43",))
            polls, began = simulate.POLLS[0], time.monotonic()
            summary = asyncio.run(
                simulate.simulate(plans, urls, key, rate=1000, concurrency=concurrency, sessions=False)
            )
            print(f"  {(simulate.POLLS[0] - polls) / count:.1f} checks a journey", flush=True)
            if summary.failed:
                print(f"  failed steps: {dict(summary.failed)}", flush=True)
            return summary.completed, time.monotonic() - began

        run(max(20, n // 5), seed=10_000)  # warm-up: connections, statement caches, first listings
        per_round: list[dict[str, float]] = []
        for i in range(rounds):
            profilers = spies(procs, profile) if profile and i == rounds - 1 else []
            before = snapshot(procs, pg)
            completed, seconds = run(n, seed=i + 1)
            time.sleep(1.0)  # what the last journeys caused downstream
            after = snapshot(procs, pg)
            for spy in profilers:
                spy.send_signal(2)  # py-spy writes its profile on SIGINT
                spy.wait(60)
            ms = {k: round(1000 * (after[k] - before[k]) / n, 2) for k in before}
            ms["total"] = round(sum(ms.values()), 1)
            per_round.append(ms)
            shown = ", ".join(f"{k} {v}" for k, v in sorted(ms.items(), key=lambda kv: -kv[1]))
            print(f"round {i + 1}: {completed}/{n} journeys in {seconds:.1f} s ({n / seconds:.1f}/s); CPU ms: {shown}")
        median = {k: round(statistics.median(r[k] for r in per_round), 2) for k in per_round[0]}
        print(
            "median CPU ms per journey: "
            + ", ".join(f"{k} {v}" for k, v in sorted(median.items(), key=lambda kv: -kv[1]))
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=60)
    parser.add_argument("--profile", type=Path, help="py-spy every service over the last round into this directory")
    parser.add_argument(
        "--postgres-conf", default="", help="lines added to postgresql.conf (\\n between them), to compare settings"
    )
    args = parser.parse_args()
    main(args.n, args.rounds, args.concurrency, args.profile, args.postgres_conf.replace("\\n", "\n"))
