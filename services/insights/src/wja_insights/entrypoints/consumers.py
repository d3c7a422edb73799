"""Insights consumes every agency's topic into per-case facts (in the consumer's transaction), a batch's
facts written together (``BATCHED``)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from wja_platform.consumer import Batched
from wja_platform.uow import PgUnitOfWork
from wja_schemas import Envelope, Event

from wja_insights.adapters.repository import Repository
from wja_insights.service_layer import handlers


async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
    await handlers.apply(PgUnitOfWork.joining(conn, Repository), envelope)


async def handle_many(conn: asyncpg.Connection, envelopes: Sequence[Envelope[Event]]) -> None:
    await handlers.apply_many(PgUnitOfWork.joining(conn, Repository), envelopes)


BATCHED = Batched(lambda envelope: True, handle_many)
"""Every event: no fact depends on the order of arrival."""
