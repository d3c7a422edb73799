"""Retention of the court's cases: which ended long enough ago (the repository's rule), one batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from wja_platform import retention

from wja_court.adapters.repository import Repository


async def due(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
    return await Repository(conn).due_for_erasure(cutoff, limit)


async def erase(conn: asyncpg.Connection, urns: list[str]) -> None:
    await Repository(conn).erase(urns)


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Delete the cases that ended at court more than ``retention_days`` ago; return how many."""
    return await retention.purge(pool, now, retention_days, due, erase, batch_size=batch_size)
