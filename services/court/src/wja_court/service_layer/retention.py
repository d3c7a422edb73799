"""Retention of the court's cases: which ended long enough ago (``Repository.due_for_erasure``), one batch at a
time (:func:`wja_platform.retention.purge_repository`)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from wja_platform import retention

from wja_court.adapters.repository import Repository


async def purge(pool: asyncpg.Pool, now: datetime, retention_days: int, batch_size: int = 500) -> int:
    """Delete the cases that ended at court more than ``retention_days`` ago; return how many."""
    return await retention.purge_repository(pool, now, retention_days, Repository, batch_size=batch_size)
