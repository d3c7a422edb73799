"""Retention of support's cases: timeline, obligations, contact copy and case record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from wja_platform import retention

# Finished: support closed, or never assigned to an IDVA and closed by the police. The clock
# starts at the later of the closure and the case's last timeline entry.
_DUE = """
SELECT c.urn FROM cases c
WHERE (c.support_closed OR (c.idva IS NULL AND c.stage = 'closed'))
  AND GREATEST(c.support_closed_at, (SELECT max(e.at) FROM entries e WHERE e.urn = c.urn)) < $1
ORDER BY c.urn LIMIT $2 FOR UPDATE OF c SKIP LOCKED
"""


async def due(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
    return [r["urn"] for r in await conn.fetch(_DUE, cutoff, limit)]


async def erase(conn: asyncpg.Connection, urns: list[str]) -> None:
    for table in ("entries", "contacts", "cases"):
        await conn.execute(f"DELETE FROM {table} WHERE urn = ANY($1::text[])", urns)


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Delete the cases finished more than ``retention_days`` ago; return how many."""
    return await retention.purge(pool, now, retention_days, due, erase, batch_size=batch_size)
