"""Support consumes every agency's topic: the projection never waits, any order is fine.

Thin: each event goes to the service layer (``projection.apply``) in a unit of work that joins the
consumer's transaction, so the processed-event record commits with the effect; runs of plain events go
to ``projection.apply_many`` in one call (``wja_platform.consumer.Batched``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from wja_platform.consumer import Batched
from wja_platform.uow import PgUnitOfWork
from wja_schemas import Envelope, Event

from wja_support.adapters.repository import Repository
from wja_support.domain.model import Rules
from wja_support.service_layer import projection


def make_handler(rules: Rules) -> Callable[[asyncpg.Connection, Envelope[Event]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
        await projection.apply(PgUnitOfWork.joining(conn, Repository), envelope, rules)

    return handle


def make_batched(rules: Rules) -> Batched:
    """The set-based side: runs of plain events (timeline and case record only) in a few statements."""

    async def handle_many(conn: asyncpg.Connection, envelopes: Sequence[Envelope[Event]]) -> None:
        await projection.apply_many(PgUnitOfWork.joining(conn, Repository), envelopes, rules)

    return Batched(projection.plain, handle_many)
