"""Unit of work: one transaction in which a use case changes its records and publishes its events.

The service layer sees only :class:`UnitOfWork` (``uow.repo`` is the service's repository,
``uow.publish`` writes an event to the outbox), so it runs unchanged against PostgreSQL
(:class:`PgUnitOfWork`) and against an in-memory fake in unit tests (:class:`FakeUnitOfWork`)::

    async with deps.uow() as uow:
        case = await uow.repo.get_case(urn, lock=True)
        ...
        await uow.publish(ev.CaseClosed(...))

A unit of work with a transaction of its own is traced as one span (``<service>.transaction``), not one per
statement; a read view takes its connection through :func:`read`, one span (``<service>.read``) per read.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Generic, Self, TypeVar

import asyncpg
from wja_schemas import Event

from wja_platform import db, outbox, telemetry

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


def service_of(repository: Callable[..., object]) -> str:
    """The service a repository belongs to, from its package (``wja_court.adapters…`` → ``court``)."""
    return repository.__module__.split(".")[0].removeprefix("wja_")


class PgUnitOfWork(UnitOfWork[R]):
    """A PostgreSQL transaction from ``pool`` (a savepoint inside an ambient one, see :func:`db.ambient`);
    commits on a clean exit, rolls back on an exception. The events it publishes are written to the outbox
    together, in one statement, before the commit (issue 20: a report's three events were three round trips).

    Traced as one span, ``span`` (default ``<service>.transaction``, the service named by the repository's
    package): the statements inside, BEGIN and COMMIT and the pool's reset make none of their own (issue 20:
    they were most of a request's spans). A database error, or a failed commit, marks the span with its type
    (:func:`telemetry.database_span`); a refusal raised inside does not. Outbox rows written inside carry
    the span's context, so the trace goes on downstream.
    """

    def __init__(
        self, pool: asyncpg.Pool, repository: Callable[[asyncpg.Connection], R], span: str | None = None
    ) -> None:
        self._pool = pool
        self._repository = repository
        self._cm = db.transaction(pool)
        self._conn: asyncpg.Connection | None = None
        self._span_name = span or f"{service_of(repository)}.transaction"
        self._span: contextlib.ExitStack | None = None
        self._rows: list[tuple[object, ...]] = []

    @classmethod
    def joining(cls, conn: asyncpg.Connection, repository: Callable[[asyncpg.Connection], R]) -> PgUnitOfWork[R]:
        """A unit of work inside a transaction someone else owns (the consumer's, whose processed-event
        record commits with the effect): entering and leaving it neither commits nor rolls back, and it
        makes no span (the consumer's batch has its own)."""
        uow: PgUnitOfWork[R] = cls.__new__(cls)
        uow._conn = conn
        uow._cm = None  # type: ignore[assignment]
        uow._span = None
        uow.repo = repository(conn)
        return uow

    async def __aenter__(self) -> Self:
        if self._cm is not None:
            self._span = contextlib.ExitStack()
            self._span.enter_context(telemetry.database_span(self._span_name))
            try:
                self._conn = await self._cm.__aenter__()
            except BaseException as exc:
                self._span.__exit__(type(exc), exc, exc.__traceback__)
                raise
            self._rows = self._span.enter_context(outbox.buffered())
            self.repo = self._repository(self._conn)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._cm is None:
            return
        assert self._span is not None
        try:
            if kind is None:
                try:
                    await outbox.flush(self.conn, self._rows)  # the events, in one statement, before the commit
                except BaseException as failed:
                    await self._cm.__aexit__(type(failed), failed, failed.__traceback__)  # rolled back
                    raise
            await self._cm.__aexit__(kind, exc, tb)
        except BaseException as failed:  # the outbox write or the commit failed: that is the span's error
            self._span.__exit__(type(failed), failed, failed.__traceback__)
            raise
        self._span.__exit__(kind, exc, tb)

    @property
    def conn(self) -> asyncpg.Connection:
        """The transaction's connection (for adapters that need it, e.g. the platform's own tables)."""
        assert self._conn is not None, "the unit of work is not entered"
        return self._conn

    async def publish(self, event: Event, *, causationid: str | None = None) -> None:
        await outbox.publish(self.conn, event, causationid=causationid)


class DeferredWrites:
    """What a :class:`OneStatementUnitOfWork` gives its repository in place of a connection: ``execute`` keeps
    the statement for the unit of work's end and runs nothing; anything else is refused, for nothing is written
    when it would run (a read would not see the unit's own writes, a lock would be held by no transaction)."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, tuple[object, ...]]] = []

    async def execute(self, query: str, *args: object) -> str:
        self.writes.append((query, args))
        return ""

    def __getattr__(self, name: str) -> object:
        msg = f"a one-statement unit of work only writes (execute); it runs no {name}"
        raise TypeError(msg)


class OneStatementUnitOfWork(UnitOfWork[R]):
    """A unit of work that only writes: its repository's statements and its events reach PostgreSQL together,
    at its clean end, as one statement (the writes as data-modifying common table expressions, then the
    outbox rows: :func:`outbox.flush`). One statement is atomic without ``BEGIN`` and ``COMMIT``: a report's
    four round trips (``BEGIN``, its case, its events, ``COMMIT``) became one (issue 20). Inside a request's
    own transaction (:func:`db.ambient`) the statement runs in it: a failed statement aborts that
    transaction, which then cannot commit.

    For use cases that read nothing and lock nothing (intake's report): the repository is given a
    :class:`DeferredWrites`, which refuses anything but writes. The writes run on one snapshot, so none sees
    another's rows; a foreign key between them holds (it is checked at the statement's end). Traced as one
    span, as :class:`PgUnitOfWork` is."""

    def __init__(
        self, pool: asyncpg.Pool, repository: Callable[[asyncpg.Connection], R], span: str | None = None
    ) -> None:
        self._pool = pool
        self._writes = DeferredWrites()
        self.repo = repository(self._writes)  # not a connection: it has execute, and refuses the rest
        self._span_name = span or f"{service_of(repository)}.transaction"
        self._stack = contextlib.ExitStack()
        self._rows: list[tuple[object, ...]] = []

    async def __aenter__(self) -> Self:
        self._stack.enter_context(telemetry.database_span(self._span_name))  # current: the events carry it
        self._rows = self._stack.enter_context(outbox.buffered())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:  # else nothing was sent: nothing to undo
            try:
                async with db.connection(self._pool) as conn:
                    await outbox.flush(conn, self._rows, self._writes.writes)
            except BaseException as failed:  # that is the span's error
                self._stack.__exit__(type(failed), failed, failed.__traceback__)
                raise
        self._stack.__exit__(kind, exc, tb)

    async def publish(self, event: Event, *, causationid: str | None = None) -> None:
        await outbox.publish(self._writes, event, causationid=causationid)  # buffered: the connection is not used


@contextlib.asynccontextmanager
async def read(pool: asyncpg.Pool, span: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection for a read view (a GET), traced as one span ``span`` (``<service>.read``) for the whole read:
    its statements and the pool's reset of the connection make none of their own. A database error marks
    the span with its type; a refusal or a 404 raised inside does not (the request's span has the answer)."""
    with telemetry.database_span(span):
        async with db.connection(pool) as conn:
            yield conn


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
