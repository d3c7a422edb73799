"""Court listing rate: charges listed per second into a year of SDAC sessions (real PostgreSQL).

Usage: ``python bench/court_listing.py [N]``. Uses the court service layer directly (no broker):
each charge opens the court case and lists its first hearing under the session row lock.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wja_cli.stack import Postgres
from wja_cli.testing import free_port
from wja_court.adapters.repository import Repository
from wja_court.bootstrap import MIGRATIONS
from wja_court.domain.model import ListingRules
from wja_court.service_layer import commands, handlers
from wja_court.service_layer.listing import Listing
from wja_platform import db
from wja_platform.clock import FixedClock
from wja_platform.uow import PgUnitOfWork
from wja_schemas.examples import example

START = datetime(2026, 4, 1, 10, tzinfo=UTC)


async def main(n: int) -> None:
    pg = Postgres(free_port(), Path(tempfile.mkdtemp(prefix="wja-bench-court-")) / "data")
    pg.start()
    try:
        pool = await db.create_pool(pg.dsn(), max_size=4)
        await db.migrate(pool, [MIGRATIONS])
        deps = handlers.Deps(pool, FixedClock(START), Listing(ListingRules(), {}))
        days = [START + timedelta(days=d) for d in range(365) if (START + timedelta(days=d)).weekday() < 5]
        for day in days:
            await handlers.create_session(deps, commands.CreateSession("C01", day, max(1, n // len(days) + 2)))
        started = time.perf_counter()
        for i in range(n):
            event = example(
                "wja.charging.decision.made.v1",
                urn=f"01BL{i:05d}26",
                decided_at=START + timedelta(minutes=i * 5),
                anticipated_plea=("guilty", "not_guilty", "unknown")[i % 3],
                remanded=i % 10 == 0,
            )
            async with pool.acquire() as conn, conn.transaction():
                await handlers.charged(PgUnitOfWork.joining(conn, Repository), deps, event, f"bench-{i}")
        seconds = time.perf_counter() - started
        listed = await pool.fetchval("SELECT count(*) FROM hearings WHERE status = 'listed'")
        print(f"sessions: {len(days)} (a year of weekdays)")
        print(f"charges listed: {listed}/{n} in {seconds:.2f} s = {n / seconds:.0f} per second")
        await pool.close()
    finally:
        pg.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
