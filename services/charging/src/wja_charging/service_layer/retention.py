"""Retention of CPS files: which are finished and past retention, and how one batch goes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from wja_platform import retention

# Finished: decided (charge, NFA, OOCD) or administratively finalised, no review open. The clock
# starts at the CPS's last act on the file: charging never hears the court's outcome.
_DUE = """
SELECT f.urn FROM files f
WHERE f.status IN ('decided', 'finalised')
  AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.urn = f.urn AND r.outcome IS NULL)
  AND GREATEST(
        f.received_at, f.decided_at, f.discontinued_at, f.due_date::timestamptz,
        (SELECT max(d.decided_at) FROM decisions d WHERE d.urn = f.urn),
        (SELECT max(GREATEST(r.requested_at, r.decided_at)) FROM reviews r WHERE r.urn = f.urn)
      ) < $1
ORDER BY f.urn LIMIT $2 FOR UPDATE OF f SKIP LOCKED
"""


async def due(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
    return [r["urn"] for r in await conn.fetch(_DUE, cutoff, limit)]


async def erase(conn: asyncpg.Connection, urns: list[str]) -> None:
    for table in ("reviews", "decisions", "files"):
        await conn.execute(f"DELETE FROM {table} WHERE urn = ANY($1::text[])", urns)


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Delete the files finished more than ``retention_days`` ago; return how many."""
    return await retention.purge(pool, now, retention_days, due, erase, batch_size=batch_size)
