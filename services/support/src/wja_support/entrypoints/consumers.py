"""Support consumes every agency's topic: the projection never waits, any order is fine.

Thin: each event goes to the service layer (``projection.apply``) in a unit of work that joins the
consumer's transaction, so the processed-event record commits with the effect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from wja_platform.uow import PgUnitOfWork
from wja_schemas import Envelope, Event

from wja_support.adapters.repository import Repository
from wja_support.domain.model import Rules
from wja_support.service_layer import projection


def make_handler(rules: Rules) -> Callable[[asyncpg.Connection, Envelope[Event]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
        await projection.apply(PgUnitOfWork.joining(conn, Repository), envelope, rules)

    return handle
