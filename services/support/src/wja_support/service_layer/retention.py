"""Retention of support's cases: timeline, obligations, contact copy and case record.

Which cases are due (``Repository.retention_due``: finished, and the later of the closure and the
last timeline entry older than the retention period) and how they are erased live in the adapter;
the platform runs the batches (one transaction each) and forgets the cases' messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from wja_platform import retention

from wja_support.adapters.repository import Repository


async def due(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
    return await Repository(conn).retention_due(cutoff, limit)


async def erase(conn: asyncpg.Connection, urns: list[str]) -> None:
    await Repository(conn).erase(urns)


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Delete the cases finished more than ``retention_days`` ago; return how many."""
    return await retention.purge(pool, now, retention_days, due, erase, batch_size=batch_size)
