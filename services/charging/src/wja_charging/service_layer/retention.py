"""Retention of CPS files: which are finished and past retention (``Repository.files_due_for_purge``),
and how one batch goes; the platform runs the batches (:func:`wja_platform.retention.purge`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from wja_platform import retention

from wja_charging.adapters.repository import Repository


async def due(conn: asyncpg.Connection, cutoff: datetime, limit: int) -> Sequence[str]:
    """Up to ``limit`` finished files whose CPS's last act was before ``cutoff`` (locked)."""
    return await Repository(conn).files_due_for_purge(cutoff, limit)


async def erase(conn: asyncpg.Connection, urns: list[str]) -> None:
    await Repository(conn).erase_files(urns)


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Delete the files finished more than ``retention_days`` ago; return how many."""
    return await retention.purge(pool, now, retention_days, due, erase, batch_size=batch_size)
