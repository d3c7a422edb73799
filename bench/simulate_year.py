"""A simulated year on a throw-away stack: ``wja simulate --days 365`` and its check against insights.

Starts the embedded stack (each service its own process, simulation on) on free ports in a
temporary directory, runs the real ``wja simulate`` command against it, prints its output (the
figures insights should show by quarter, and whether it does) and exits with its exit code.
Usage: ``python bench/simulate_year.py [--cases 300] [--days 365] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from wja_cli.stack import Broker, Postgres
from wja_cli.testing import free_port
from wja_cli.up import Stack


def main(cases: int, days: int, seed: int) -> int:
    root = Path(tempfile.mkdtemp(prefix="wja-simyear-"))
    stack = Stack(
        state_dir=root / "state", ports={s: free_port() for s in ("intake", "charging", "court", "support", "insights")}
    )
    stack.pg = Postgres(free_port(), root / "pg" / "data")
    stack.broker = Broker(free_port(), root / "broker.log")
    stack.pg.start()
    stack.pg.ensure_databases()
    stack.broker.start()
    try:
        for s in stack.services:
            stack.start_service(s)
        for s in stack.services:
            stack.wait_ready(s, timeout=120)
        env = {**os.environ, "WJA_STATE_DIR": str(stack.state_dir)}
        env.update({f"WJA_{s.upper()}_URL": f"http://127.0.0.1:{port}" for s, port in stack.ports.items()})
        wja = Path(sys.executable).with_name("wja")
        command = [str(wja), "simulate", "--cases", str(cases), "--days", str(days), "--seed", str(seed)]
        command += ["--step-timeout", "300"]  # a loaded machine's consumers may lag by minutes
        print("$", " ".join(command[1:]), flush=True)
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        stack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    raise SystemExit(main(args.cases, args.days, args.seed))
