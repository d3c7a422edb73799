"""Intake's unit of work: PostgreSQL's, traced as one span per transaction instead of one per statement."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

import asyncpg
from wja_platform import db, telemetry
from wja_platform.uow import PgUnitOfWork

from wja_intake.adapters.repository import CaseRepository

SPAN = "intake.transaction"


class TracedUnitOfWork(PgUnitOfWork[CaseRepository]):
    """A transaction of its own (HTTP use cases, background jobs) under one ``intake.transaction`` span.

    A report's transaction made ten statement spans (BEGIN, the case, the victim, each outbox row, COMMIT,
    the pool's reset), about a third of the spans intake exported (issue 20). The consumer's units of work
    (:meth:`PgUnitOfWork.joining`) are not this class: their batch has its own span.
    """

    _span: contextlib.ExitStack

    async def __aenter__(self) -> Self:
        self._span = contextlib.ExitStack()
        self._span.enter_context(telemetry.database_span(SPAN))
        try:
            return await super().__aenter__()
        except BaseException as exc:
            self._span.__exit__(type(exc), exc, exc.__traceback__)
            raise

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await super().__aexit__(kind, exc, tb)
        except BaseException as failed:  # the commit failed: that is the span's error
            self._span.__exit__(type(failed), failed, failed.__traceback__)
            raise
        self._span.__exit__(kind, exc, tb)


@contextlib.asynccontextmanager
async def one_connection(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """Inside, :func:`wja_platform.db.connection` and :func:`~wja_platform.db.transaction` use one pooled
    connection (a real transaction when it is in none; inside a keyed request's, its savepoints as before).

    A report takes its URN and then writes in its transaction: on one connection, it is taken from the pool
    and reset once, not twice. Inside, statements make no span of their own (their transactions do, see
    :class:`TracedUnitOfWork`); nor does the pool's reset of the connection, which is housekeeping.
    """
    with telemetry.instrumentation_suppressed():
        async with db.connection(pool) as conn:
            with db.ambient(conn):
                yield
