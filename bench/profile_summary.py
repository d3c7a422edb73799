"""Summarise a py-spy ``--format raw`` profile (bench/run.py with ``WJA_BENCH_PROFILE``): busy samples only.

Usage: ``python bench/profile_summary.py bench/results/profile-intake.txt [N]``. Prints the share of the
process's busy samples (idle waits dropped) spent in each frame, ours and our libraries', inclusive.
"""

from __future__ import annotations

import collections
import sys

IDLE = ("Condition.wait", "EpollSelector.select", "Event.wait", "Queue.get")
SHOWN = ("wja_", "opentelemetry", "asyncpg", "starlette/middleware", "fastapi/routing", "aiokafka", "faststream")


def main(path: str, top: int) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    busy = 0
    with open(path) as fh:
        for line in fh:
            stack, _, count = line.rstrip().rpartition(" ")
            frames = stack.split(";")
            if frames[-1].split(" (")[0] in IDLE:
                continue
            n = int(count)
            busy += n
            seen = set()
            for frame in frames:
                name, _, where = frame.partition(" (")
                key = f"{name} ({where.split(':')[0]})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += n
    print(f"{busy} busy samples")
    shown = [(k, v) for k, v in inclusive.most_common() if any(s in k for s in SHOWN)]
    for key, n in shown[:top]:
        print(f"{100 * n / busy:5.1f}%  {key}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40)
