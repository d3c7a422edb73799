"""Retention: delete cases past their retention period, one transaction per batch.

Each service says which of its cases are due (``pick``: finished longer ago than its
retention period, oldest first, rows locked) and how to erase one batch of them (``erase``);
:func:`purge` runs batches until none is due. With the case's own rows, the service's record
of its messages goes too (:func:`forget_messages`): published outbox rows, parked events and
dead-letter payloads of those URNs, so neither a republish nor a replay brings the case back.
Inbox rows stay: they hold no payload, and they absorb a later replay of another producer.
Only counts are logged, never a URN.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import asyncpg

from wja_platform import db

log = logging.getLogger(__name__)

Pick = Callable[[asyncpg.Connection, datetime, int], Awaitable[Sequence[str]]]
"""``pick(conn, cutoff, limit)``: up to ``limit`` URNs finished before ``cutoff``, locked."""
Erase = Callable[[asyncpg.Connection, list[str]], Awaitable[None]]
"""``erase(conn, urns)``: delete those cases' rows (in the open transaction)."""


async def purge(
    pool: asyncpg.Pool,
    now: datetime,
    retention_days: int,
    pick: Pick,
    erase: Erase,
    *,
    batch_size: int = 500,
) -> int:
    """Erase every case finished more than ``retention_days`` before ``now``; return how many.

    One transaction per batch: a batch is erased whole or not at all. Running it again
    finds nothing more to do (idempotent).
    """
    cutoff = now - timedelta(days=retention_days)
    total = 0
    while True:
        urns = await _batch(pool, cutoff, batch_size, pick, erase)
        total += len(urns)
        if len(urns) < batch_size:
            return total


async def _batch(
    pool: asyncpg.Pool, cutoff: datetime, limit: int, pick: Pick, erase: Erase, attempts: int = 5
) -> list[str]:
    """Erase one batch in one transaction, again if PostgreSQL aborted it for a conflict (a late event applied to a
    case being erased takes its row locks in its own order)."""

    async def erase_batch() -> list[str]:
        async with pool.acquire() as conn, conn.transaction():
            urns = list(await pick(conn, cutoff, limit))
            if urns:
                await erase(conn, urns)
                await forget_messages(conn, urns)
        return urns

    return await db.again_on_conflict(erase_batch, runs=attempts, what="a purge batch")


class Erasable(Protocol):
    """A service repository's side of retention: which cases are due, and erasing a batch of them."""

    async def due_for_erasure(self, cutoff: datetime, limit: int) -> Sequence[str]:
        """Up to ``limit`` URNs finished before ``cutoff``, oldest first, rows locked."""
        ...

    async def erase(self, urns: list[str]) -> None:
        """Delete those cases' rows (in the open transaction)."""
        ...


async def purge_repository(
    pool: asyncpg.Pool,
    now: datetime,
    retention_days: int,
    repository: Callable[[asyncpg.Connection], Erasable],
    *,
    batch_size: int = 500,
) -> int:
    """:func:`purge` with a service's repository choosing and erasing (see :class:`Erasable`)."""

    async def pick(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
        return await repository(conn).due_for_erasure(cutoff, limit)

    async def erase(conn: asyncpg.Connection, urns: list[str]) -> None:
        await repository(conn).erase(urns)

    return await purge(pool, now, retention_days, pick, erase, batch_size=batch_size)


async def forget_messages(conn: asyncpg.Connection, urns: list[str]) -> None:
    """Delete the published outbox rows and parked events of ``urns``; erase their dead letters' payloads."""
    await conn.execute("DELETE FROM outbox WHERE urn = ANY($1::text[]) AND published_at IS NOT NULL", urns)
    await conn.execute("DELETE FROM parked WHERE urn = ANY($1::text[])", urns)
    await conn.execute(
        "UPDATE dead_letters SET value = NULL, resolved_at = COALESCE(resolved_at, now()),"
        " status = CASE WHEN status = 'open' THEN 'purged' ELSE status END"
        " WHERE urn = ANY($1::text[]) AND (value IS NOT NULL OR status = 'open')",
        urns,
    )
