"""Retention of CPS files: a file is due once finished and past retention (``Repository.due_for_erasure``);
the platform runs the batches (:func:`wja_platform.retention.purge_repository`)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from wja_platform import retention

from wja_charging.adapters.repository import Repository


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Delete the files finished more than ``retention_days`` ago; return how many."""
    return await retention.purge_repository(pool, now, retention_days, Repository, batch_size=batch_size)
