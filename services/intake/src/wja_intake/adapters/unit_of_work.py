"""Intake's connection sharing: a report's URN counter and its transaction on one pooled connection.

(Its transactions are traced as one ``intake.transaction`` span each by :class:`wja_platform.uow.PgUnitOfWork`.)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from wja_platform import db, telemetry


@contextlib.asynccontextmanager
async def one_connection(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """Inside, :func:`wja_platform.db.connection` and :func:`~wja_platform.db.transaction` use one pooled
    connection (a real transaction when it is in none; inside a keyed request's, its savepoints as before).

    A report takes its URN and then writes in its transaction: on one connection, it is taken from the pool
    and reset once, not twice. Inside, statements make no span of their own (their transactions do, see
    :class:`wja_platform.uow.PgUnitOfWork`); nor does the pool's reset of the connection, which is housekeeping.
    """
    with telemetry.instrumentation_suppressed():
        async with db.connection(pool) as conn:
            with db.ambient(conn):
                yield
