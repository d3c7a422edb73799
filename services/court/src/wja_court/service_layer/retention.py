"""Retention of the court's cases: which ended long enough ago, and how one batch goes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from wja_platform import retention

# Ended at court before the cutoff, no hearing still to come, and no restraining order in force
# or ended after the cutoff (an order "until further order" keeps its case).
_DUE = """
SELECT c.urn FROM cases c
WHERE c.finished_at < $1
  AND NOT EXISTS (SELECT 1 FROM hearings h WHERE h.urn = c.urn AND h.status IN ('listed', 'unlisted'))
  AND NOT EXISTS (
        SELECT 1 FROM restraining_orders o
        WHERE o.urn = c.urn AND (o.until IS NULL OR o.until >= ($1 AT TIME ZONE 'Europe/London')::date))
ORDER BY c.urn LIMIT $2 FOR UPDATE OF c SKIP LOCKED
"""


async def due(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
    return [r["urn"] for r in await conn.fetch(_DUE, cutoff, limit)]


async def erase(conn: asyncpg.Connection, urns: list[str]) -> None:
    for table in ("restraining_orders", "special_measures", "hearings", "cases"):
        await conn.execute(f"DELETE FROM {table} WHERE urn = ANY($1::text[])", urns)


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Delete the cases that ended at court more than ``retention_days`` ago; return how many."""
    return await retention.purge(pool, now, retention_days, due, erase, batch_size=batch_size)
