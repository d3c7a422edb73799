"""Dead letters: stored in the consumer's database and published to its dead-letter topic.

Both happen in the caller's transaction (the topic write goes through the outbox), so a dead
letter is never lost and never half-written. Operators list, replay (through the consumer's
own retry topic, never the owner's topic) and purge them with ``wja dlq``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from wja_schemas.topics import dlq_topic, retry_topic

from wja_platform import outbox


async def add(
    conn: asyncpg.Connection,
    *,
    consumer: str,
    group_id: str,
    event_key: str,
    urn: str | None,
    ce_type: str | None,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    attempts: int,
    reason: str,
    kind: str,
) -> None:
    """Record a dead letter (``kind``: poison, failed or parked) and queue it for ``wja.<consumer>.dlq.v1``,
    unless already open."""
    text_headers = [(k, v.decode(errors="replace")) for k, v in headers]
    dl_id = await conn.fetchval(
        'INSERT INTO dead_letters (consumer, event_key, urn, ce_type, topic, partition, "offset",'
        " group_id, attempts, reason, key, value, headers, kind)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)"
        " ON CONFLICT DO NOTHING RETURNING id",
        consumer,
        event_key,
        urn,
        ce_type,
        topic,
        partition,
        offset,
        group_id,
        attempts,
        reason[:1000],
        key,
        value,
        [[k, v] for k, v in text_headers],
        kind,
    )
    if dl_id is None:
        return
    dlq_headers = [h for h in text_headers if not h[0].startswith("wja_dlq_")] + [
        ("wja_dlq_topic", topic),
        ("wja_dlq_partition", str(partition)),
        ("wja_dlq_offset", str(offset)),
        ("wja_dlq_group", group_id),
        ("wja_dlq_attempts", str(attempts)),
        ("wja_dlq_reason", reason[:1000]),
    ]
    await outbox.add_raw(
        conn,
        topic=dlq_topic(consumer),
        key=key,
        value=value,
        headers=dlq_headers,
        ce_id=f"dlq-{dl_id}",
        ce_type=ce_type or "",
    )


async def depth(pool: asyncpg.Pool, consumer: str) -> int:
    """How many dead letters are open."""
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM dead_letters WHERE consumer = $1 AND status = 'open'",
                consumer,
            )
        )


async def open_by_kind(pool: asyncpg.Pool, consumer: str) -> dict[str, int]:
    """Open dead letters per kind."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, count(*) AS n FROM dead_letters WHERE consumer = $1 AND status = 'open' GROUP BY kind",
            consumer,
        )
    return {r["kind"]: int(r["n"]) for r in rows}


async def listing(pool: asyncpg.Pool, consumer: str, *, status: str = "open", limit: int = 100) -> list[dict[str, Any]]:
    """Dead letters with their origin and reason (never their payload: it may hold anything)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            'SELECT id, event_key, urn, ce_type, topic, partition, "offset", group_id, attempts,'
            " reason, kind, status, created_at FROM dead_letters WHERE consumer = $1 AND status = $2"
            " ORDER BY id LIMIT $3",
            consumer,
            status,
            limit,
        )
    return [{**dict(r), "created_at": r["created_at"].isoformat()} for r in rows]


async def replay(pool: asyncpg.Pool, consumer: str, ids: Sequence[int] | None = None) -> int:
    """Send open dead letters (all, or ``ids``) to the consumer's retry topic; return how many."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "UPDATE dead_letters SET status = 'replayed', resolved_at = now()"
            " WHERE consumer = $1 AND status = 'open' AND ($2::bigint[] IS NULL OR id = ANY($2))"
            " RETURNING id, key, value, headers, ce_type",
            consumer,
            list(ids) if ids is not None else None,
        )
        for row in rows:
            headers = [(k, v) for k, v in row["headers"] if not k.startswith("wja_dlq_")]
            await outbox.add_raw(
                conn,
                topic=retry_topic(consumer),
                key=row["key"],
                value=row["value"],
                headers=headers,
                ce_id=f"replay-{row['id']}",
                ce_type=row["ce_type"] or "",
            )
    return len(rows)


async def purge(pool: asyncpg.Pool, consumer: str, ids: Sequence[int] | None = None) -> int:
    """Purge open dead letters (all, or ``ids``); return how many.

    The payload goes from the dead letter and from the outbox row that published it to
    ``wja.<consumer>.dlq.v1``, in one transaction: a republish (after a broker reset, or
    ``wja replay``) cannot bring a purged payload back. The row's origin and reason stay.
    """
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "UPDATE dead_letters SET status = 'purged', resolved_at = now(), value = NULL"
            " WHERE consumer = $1 AND status = 'open' AND ($2::bigint[] IS NULL OR id = ANY($2))"
            " RETURNING id",
            consumer,
            list(ids) if ids is not None else None,
        )
        await conn.execute(
            "DELETE FROM outbox WHERE topic = $1 AND ce_id = ANY($2::text[])",
            dlq_topic(consumer),
            [f"dlq-{r['id']}" for r in rows],
        )
    return len(rows)
