"""Retention of insights' per-case rows: rolled up into counts, then deleted, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from wja_platform import retention
from wja_platform.uow import PgUnitOfWork

from wja_insights.adapters.repository import Repository
from wja_insights.domain import archive
from wja_insights.service_layer.handlers import Uow


async def roll_up(uow: Uow, urns: Sequence[str]) -> None:
    """Delete these cases' rows and add what they counted to the archive (only what this work deleted)."""
    async with uow:
        facts, orders, notes = await uow.repo.take(urns)
        await uow.repo.add_to_archive(archive.contributions(facts, orders, notes))


async def _due(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
    return await Repository(conn).due(cutoff, limit)


async def _erase(conn: asyncpg.Connection, urns: list[str]) -> None:
    await roll_up(PgUnitOfWork.joining(conn, Repository), urns)


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Roll up and delete the cases whose latest fact is more than ``retention_days`` old."""
    return await retention.purge(pool, now, retention_days, _due, _erase, batch_size=batch_size)
