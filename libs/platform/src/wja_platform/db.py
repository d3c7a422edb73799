"""asyncpg pool lifecycle and plain-SQL migrations.

Migrations are ``NNNN_what.sql`` files applied in name order, each in its own transaction,
recorded in ``schema_migrations``. The platform's own tables (outbox, inbox, parked events,
dead letters) are applied first, then the service's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

import asyncpg
import pydantic_core

PLATFORM_SQL = Path(__file__).parent / "sql"
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, timed out
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # the connection was closed mid-operation
    asyncpg.exceptions.InternalClientError,  # the protocol state torn by a connection dropped mid-operation
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.exceptions.AdminShutdownError,  # terminating connection due to administrator command
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
"""What asyncpg raises when the server is away or going (refused, dropped, starting, shutting
down, full): a request meeting one is answered 503 with Retry-After, never 500, and a consumer
rewinds its batch instead of counting it as the event's failure."""
CONFLICTS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)
"""What PostgreSQL raises when it aborts one of two transactions that wait for each other (or could not be
serialised): the transaction is rolled back whole, so running it again is safe. A request meeting one is answered
503 with Retry-After, never 500 (court's listing locks session rows in the order it finds them free: two listings,
or a listing and a discontinuance, can wait for each other; the fault suite met three on 3 December 2026)."""
_MIGRATION_LOCK = 7_411_001
CONFLICT_PAUSE_SECONDS = 0.05
"""A transaction run again after a conflict first waits up to this many seconds times the runs so far, at random,
so the two sides do not meet again."""

log = logging.getLogger(__name__)
T = TypeVar("T")


async def again_on_conflict(run: Callable[[], Awaitable[T]], *, runs: int, what: str) -> T:
    """``run()`` (a whole transaction), run again when PostgreSQL aborted it for a conflict (:data:`CONFLICTS`: it
    was rolled back whole, so running it again is safe, as PostgreSQL's documentation asks of applications), up to
    ``runs`` runs in all; the last run's conflict is raised."""
    for n in range(1, runs):
        try:
            return await run()
        except CONFLICTS as exc:
            log.info("%s aborted for a conflict (%s); run %s of %s", what, type(exc).__name__, n + 1, runs)
            await asyncio.sleep(random.uniform(0, CONFLICT_PAUSE_SECONDS * n))
    return await run()


async def _init_connection(conn: asyncpg.Connection) -> None:
    """``json`` and ``jsonb`` as Python values: written by the standard library (which refuses what is not JSON,
    a date say, rather than guess its text), read by pydantic's parser in Rust (the relay reads every outbox
    row's headers: 4.5 against 2.9 µs a row, issue 20). PostgreSQL has checked what it holds, so both parsers
    read it alike."""
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(typename, encoder=json.dumps, decoder=pydantic_core.from_json, schema="pg_catalog")


_SESSION_STATE: set[int] = set()
"""Server process ids of pooled connections that hold session state (see :func:`holds_session_state`)."""


def holds_session_state(conn: asyncpg.Connection) -> None:
    """Mark ``conn`` as holding session state (a session advisory lock, a ``LISTEN``): when it goes back to
    the pool, the pool resets it fully (:func:`_reset`). Call it before taking the state."""
    _SESSION_STATE.add(conn.get_server_pid())


async def _reset(conn: asyncpg.Connection) -> None:
    """What the pool does to a connection given back, after asyncpg's own part (it rolls back a transaction
    left open and drops the connection's listener callbacks).

    asyncpg's default also runs ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on every
    release: one more round trip per transaction, about 30 µs of our CPU and 40 µs of PostgreSQL's each
    (issue 20). Nothing our transactions do outlives them (transaction-scoped locks, ``set_config(…, true)``,
    cursors only inside transactions), so only a connection marked by :func:`holds_session_state` (the
    relay's, the migrations') is reset so. A reset that fails closes the connection (asyncpg).
    """
    pid = conn.get_server_pid()
    if pid in _SESSION_STATE:
        _SESSION_STATE.discard(pid)
        await conn.execute(conn.get_reset_query())


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool whose connections read and write ``json``/``jsonb`` as Python values."""
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_reset, command_timeout=60
    )


_ambient: ContextVar[asyncpg.Connection | None] = ContextVar("wja_ambient_connection", default=None)


@contextlib.contextmanager
def ambient(conn: asyncpg.Connection) -> Iterator[None]:
    """Make ``conn`` (in a transaction) the one :func:`transaction` and :func:`connection` use.

    The idempotency middleware runs a whole request in one transaction this way, so the record
    of the request's answer commits with its effect, or neither does.
    """
    token = _ambient.set(conn)
    try:
        yield
    finally:
        _ambient.reset(token)


def in_ambient() -> bool:
    """Whether code runs inside a request's ambient transaction (:func:`ambient`)."""
    return _ambient.get() is not None


@contextlib.asynccontextmanager
async def connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection from ``pool``, or the ambient one when a request runs in a transaction."""
    conn = _ambient.get()
    if conn is not None:
        yield conn
        return
    async with pool.acquire() as conn:
        yield conn


_savepoints = itertools.count()


@contextlib.asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on a connection from ``pool`` (a savepoint inside an ambient transaction).

    The savepoint is rolled back to on an exception and never released: the ambient transaction's end
    releases it with everything else, so a keyed request saves the ``RELEASE`` round trip (issue 20). Each
    has a name of its own, so a savepoint inside another rolls back only its own part.
    """
    conn = _ambient.get()
    if conn is None or not conn.is_in_transaction():  # no ambient one, or one lent outside a transaction
        async with connection(pool) as conn, conn.transaction():
            yield conn
        return
    name = f"wja_sp_{next(_savepoints)}"
    await conn.execute(f"SAVEPOINT {name}")
    try:
        yield conn
    except BaseException:
        if not conn.is_closed():
            with contextlib.suppress(asyncpg.PostgresError, *UNAVAILABLE):  # the ambient owner rolls back then
                await conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
        raise


async def migrate(pool: asyncpg.Pool, directories: Sequence[Path]) -> list[str]:
    """Apply the pending migrations of ``directories`` (platform first); return what ran.

    Safe when several processes start at once: an advisory lock serialises them.
    """
    applied: list[str] = []
    async with pool.acquire() as conn:
        holds_session_state(conn)
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            for directory in [PLATFORM_SQL, *directories]:
                for path in sorted(directory.glob("*.sql")):
                    name = f"{directory.parent.name}/{directory.name}/{path.name}"
                    if name in done:
                        continue
                    async with conn.transaction():
                        await conn.execute(path.read_text())
                        await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
                    applied.append(name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied


async def update_row(conn: asyncpg.Connection, table: str, key: str, value: object, changes: dict[str, object]) -> None:
    """``UPDATE table SET col = value, … WHERE key = value``; table and column names are the caller's
    constants, values are always bound parameters."""
    cols = list(changes)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=2))
    await conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = $1", value, *[changes[c] for c in cols])


async def insert_row(conn: asyncpg.Connection, table: str, row: dict[str, object]) -> None:
    """``INSERT INTO table (cols…) VALUES (…)`` with bound values."""
    cols = list(row)
    marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
    await conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", *[row[c] for c in cols])
