"""Unit of work: one transaction in which a use case changes its records and publishes its events.

The service layer sees only :class:`UnitOfWork` (``uow.repo`` is the service's repository,
``uow.publish`` writes an event to the outbox), so it runs unchanged against PostgreSQL
(:class:`PgUnitOfWork`) and against an in-memory fake in unit tests (:class:`FakeUnitOfWork`)::

    async with deps.uow() as uow:
        case = await uow.repo.get_case(urn, lock=True)
        ...
        await uow.publish(ev.CaseClosed(...))
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, Self, TypeVar

import asyncpg
from wja_schemas import Event

from wja_platform import db, outbox

R = TypeVar("R")


class UnitOfWork(Generic[R]):
    """What the service layer needs: a repository and a way to publish, committed together."""

    repo: R

    async def publish(self, event: Event, *, causationid: str | None = None) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class PgUnitOfWork(UnitOfWork[R]):
    """A PostgreSQL transaction from ``pool`` (a savepoint inside an ambient one, see :func:`db.ambient`);
    commits on a clean exit, rolls back on an exception."""

    def __init__(self, pool: asyncpg.Pool, repository: Callable[[asyncpg.Connection], R]) -> None:
        self._pool = pool
        self._repository = repository
        self._cm = db.transaction(pool)
        self._conn: asyncpg.Connection | None = None

    @classmethod
    def joining(cls, conn: asyncpg.Connection, repository: Callable[[asyncpg.Connection], R]) -> PgUnitOfWork[R]:
        """A unit of work inside a transaction someone else owns (the consumer's, whose processed-event
        record commits with the effect): entering and leaving it neither commits nor rolls back."""
        uow: PgUnitOfWork[R] = cls.__new__(cls)
        uow._conn = conn
        uow._cm = None  # type: ignore[assignment]
        uow.repo = repository(conn)
        return uow

    async def __aenter__(self) -> Self:
        if self._cm is not None:
            self._conn = await self._cm.__aenter__()
            self.repo = self._repository(self._conn)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._cm is not None:
            await self._cm.__aexit__(kind, exc, tb)

    @property
    def conn(self) -> asyncpg.Connection:
        """The transaction's connection (for adapters that need it, e.g. the platform's own tables)."""
        assert self._conn is not None, "the unit of work is not entered"
        return self._conn

    async def publish(self, event: Event, *, causationid: str | None = None) -> None:
        await outbox.publish(self.conn, event, causationid=causationid)


class FakeUnitOfWork(UnitOfWork[R]):
    """In memory, for unit tests of the service layer: ``published`` lists the events of committed work,
    ``commits`` counts clean exits. A fake repository must undo its own changes if a test needs rollback."""

    def __init__(self, repo: R) -> None:
        self.repo = repo
        self.published: list[Event] = []
        self._pending: list[Event] = []
        self.commits = 0

    async def publish(self, event: Event, *, causationid: str | None = None) -> None:
        self._pending.append(event)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.published += self._pending
            self.commits += 1
        self._pending = []
