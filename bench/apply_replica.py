"""One replica of bench/consume_ratio.py's measured service, in a process of its own.

bench/consume_ratio.py starts two of these in one consumer group to measure the apply scaled out (issue 20:
two replicas, the partitions and the relay election allowing it). Each runs the service's runtime as
``platform_rate`` does (its consumer, its relay; one relay of the two is elected) and prints, each time the
events it has applied move (looked at every 5 ms, in the process, as ``platform_rate`` does):
``applied COUNT WALL CPU`` (``WALL``: ``time.time()``, comparable across processes; ``CPU``: this process's CPU
seconds). It prints ``ready`` once its runtime is up, and stops cleanly on SIGTERM.

Usage: ``python bench/apply_replica.py DATABASE_URL BOOTSTRAP GROUP STATE_DIR``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import consume_ratio  # bench/ is on sys.path: the script's directory
from wja_cli.testing import serve_app


async def main(database_url: str, bootstrap: str, group: str, state: Path) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    app = consume_ratio.bench_app(database_url, bootstrap, group, state, batched=True)
    service = consume_ratio.BenchSettings.service
    async with serve_app(app):
        print("ready", flush=True)
        last = 0.0
        while not stop.is_set():
            done = consume_ratio.applied(service)
            if done != last:
                print(f"applied {done:.0f} {time.time():.6f} {time.process_time():.6f}", flush=True)
                last = done
            await asyncio.sleep(0.005)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])))
