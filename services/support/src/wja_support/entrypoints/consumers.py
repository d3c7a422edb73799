"""Support consumes every agency's topic: the projection never waits, any order is fine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from wja_schemas import Envelope, Event

from wja_support.service_layer import projection


def make_handler(
    rules: dict[str, list],
) -> Callable[[asyncpg.Connection, Envelope[Event]], Awaitable[None]]:
    async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
        await projection.apply(conn, envelope, rules)

    return handle
