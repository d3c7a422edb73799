"""Retention of insights' per-case rows: rolled up into counts, then deleted, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from wja_platform import retention

from wja_insights.domain import archive

# A case is due when its latest fact (any dated column, order or notification) is before the cutoff.
_DUE = """
SELECT urn FROM (
    SELECT urn, GREATEST(reported_at, arrested_at, requested_at, decided_at, finalised_at,
                         guilty_plea_at, verdict_at, discontinued_at, closed_at) AS at FROM facts
    UNION ALL SELECT urn, made_at FROM orders
    UNION ALL SELECT urn, told_at FROM notifications
) t
GROUP BY urn HAVING max(at) < $1
ORDER BY urn LIMIT $2
"""


async def due(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
    return [r["urn"] for r in await conn.fetch(_DUE, cutoff, limit)]


async def erase(conn: asyncpg.Connection, urns: list[str]) -> None:
    """Delete the rows and add what they counted to the archive (only what this transaction deleted)."""
    facts = await conn.fetch("DELETE FROM facts WHERE urn = ANY($1::text[]) RETURNING *", urns)
    orders = await conn.fetch("DELETE FROM orders WHERE urn = ANY($1::text[]) RETURNING urn, made_at", urns)
    notes = await conn.fetch(
        "DELETE FROM notifications WHERE urn = ANY($1::text[]) RETURNING urn, told_at, on_time, late", urns
    )
    counts = archive.contributions(map(dict, facts), map(dict, orders), map(dict, notes))
    await conn.executemany(
        "INSERT INTO archive (force_code, day, measure, key, n) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (force_code, day, measure, key) DO UPDATE SET n = archive.n + EXCLUDED.n",
        [(*k, n) for k, n in sorted(counts.items())],
    )


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Roll up and delete the cases whose latest fact is more than ``retention_days`` old."""
    return await retention.purge(pool, now, retention_days, due, erase, batch_size=batch_size)
