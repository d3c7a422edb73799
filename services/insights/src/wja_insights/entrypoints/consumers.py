"""Insights consumes every agency's topic into per-case facts (in the consumer's transaction)."""

from __future__ import annotations

import asyncpg
from wja_platform.uow import PgUnitOfWork
from wja_schemas import Envelope, Event

from wja_insights.adapters.repository import Repository
from wja_insights.service_layer import handlers


async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
    await handlers.apply(PgUnitOfWork.joining(conn, Repository), envelope)
