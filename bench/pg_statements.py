"""Which statements PostgreSQL runs for a journey, per service: calls, planning and execution time per journey.

Starts the embedded stack with ``pg_stat_statements`` loaded, runs N full journeys with ``wja simulate``
(as bench/run.py does), and prints, per database, the statements with the most calls per journey and the
total. Counts do not depend on the machine's load; times do. Usage: ``python bench/pg_statements.py [N]``.
"""

from __future__ import annotations

import asyncio
import sys
import time

import asyncpg
import embedded  # bench/ is on sys.path: the script's directory
from wja_cli import journeys, simulate


async def statements(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(
            "SELECT d.datname AS db, s.query, s.calls, s.total_exec_time, s.total_plan_time, s.plans"
            " FROM pg_stat_statements s"
            " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'wja_%' ORDER BY s.calls DESC"
        )
    finally:
        await conn.close()


async def reset(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


def main(n: int) -> None:
    conf = (
        "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n"
        "pg_stat_statements.track_planning = on"
    )
    with embedded.running("wja-pgstat-", postgres_conf=conf) as up:
        stack, key, urls = up.stack, up.key, up.urls
        stack.pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        asyncio.run(simulate.create_sessions(simulate.Agencies(key, {"court": urls["court"]}), days=260, capacity=1000))
        time.sleep(2)
        admin = stack.pg.dsn()
        asyncio.run(reset(admin))
        summary = asyncio.run(
            simulate.simulate(
                journeys.plan(n, seed=n, forces=("43",)), urls, key, rate=1000, concurrency=60, sessions=False
            )
        )
        time.sleep(3)  # let the consumers and relays finish
        rows = asyncio.run(statements(admin))
    print(f"{summary.completed} of {n} journeys completed")
    by_db: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        by_db.setdefault(row["db"], []).append(row)
    for db, found in sorted(by_db.items()):
        calls = sum(r["calls"] for r in found)
        ms = sum(r["total_exec_time"] for r in found)
        planned = sum(r["total_plan_time"] for r in found)
        print(
            f"\n== {db}: {calls / n:.1f} statements per journey, {ms / n:.2f} ms of execution and"
            f" {planned / n:.2f} ms of planning per journey ({sum(r['plans'] for r in found) / n:.1f} plans)"
        )
        for r in found[:14]:
            query = " ".join(r["query"].split())[:100]
            print(
                f"{r['calls'] / n:7.2f} {r['total_exec_time'] / n:6.3f} ms {r['total_plan_time'] / n:6.3f} ms  {query}"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
