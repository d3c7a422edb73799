"""Insights consumes every agency's topic into per-case facts."""

from __future__ import annotations

import asyncpg
from wja_schemas import Envelope, Event

from wja_insights.service_layer import projection


async def handle(conn: asyncpg.Connection, envelope: Envelope[Event]) -> None:
    await projection.apply(conn, envelope)
