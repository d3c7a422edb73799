"""Transactional outbox: events are written in the same transaction as the state change.

:func:`add` stores the CloudEvents record (with the current trace context) and notifies the
relay; :class:`~wja_platform.relay.OutboxRelay` publishes it after commit.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import asyncpg
import pydantic_core
from opentelemetry import trace
from wja_schemas import Envelope, Event, new_envelope
from wja_schemas.envelope import record_headers
from wja_schemas.topics import case_topic

from wja_platform import clock, telemetry

NOTIFY_CHANNEL = "wja_outbox"
_ADD = (
    "INSERT INTO outbox (ce_id, urn, ce_type, topic, value, headers) SELECT $1,$2,$3,$4,$5,$6::text::jsonb"
    " FROM (SELECT pg_advisory_xact_lock(hashtextextended($7, 0)), pg_notify($8, '')) AS first"
)
"""One round trip for :func:`add`: the URN's lock, then the row (its id drawn under the lock), and the
notification (sent at commit). The functions in the sub-select are volatile, so PostgreSQL always runs
them, once, before the row is inserted."""
_FLUSH = (
    "INSERT INTO outbox (ce_id, urn, ce_type, topic, value, headers)"
    " SELECT r.ce_id, r.urn, r.ce_type, r.topic, r.value, r.headers::jsonb"
    " FROM (SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) AS locked, pg_notify($8, '') AS notified"
    "       FROM (SELECT k FROM unnest($7::text[]) AS k ORDER BY k) AS keys) AS first,"
    " unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[])"
    "  WITH ORDINALITY AS r(ce_id, urn, ce_type, topic, value, headers, i)"
    " ORDER BY r.i"
)
"""One round trip for :func:`flush` (it was three: the locks, the rows, the notification). ``first`` is one row
that takes every lock, in key order, and the notification (sent at commit); no row reaches the insert before it
is made, so each row's id is drawn under its URN's lock, in the order the rows were added."""
_causes: contextvars.ContextVar[Mapping[str, trace.Span] | None] = contextvars.ContextVar(
    "wja_outbox_causes", default=None
)
_buffer: contextvars.ContextVar[list[tuple[Any, ...]] | None] = contextvars.ContextVar(
    "wja_outbox_buffer", default=None
)


@contextlib.contextmanager
def buffered() -> Iterator[list[tuple[Any, ...]]]:
    """Collect :func:`add` calls instead of writing each; the caller must :func:`flush` them.

    The consumer uses this to write a whole batch's outbox rows in one statement.
    """
    rows: list[tuple[Any, ...]] = []
    token = _buffer.set(rows)
    try:
        yield rows
    finally:
        _buffer.reset(token)


async def flush(
    conn: asyncpg.Connection, rows: list[tuple[Any, ...]], writes: Sequence[tuple[str, Sequence[Any]]] = ()
) -> None:
    """Write buffered rows in the open transaction, in one statement (:data:`_FLUSH`): their URNs' locks in a
    fixed order, then the rows in the order they were added, and the notification.

    ``writes`` (a statement and its arguments each, data-modifying, with no ``WITH`` of their own) go in the
    same statement, before the rows, as its common table expressions: they and the rows are written together or
    not at all, even with no transaction open (:class:`wja_platform.uow.OneStatementUnitOfWork`)."""
    if not rows and not writes:
        return
    args: list[Any] = []
    if rows:
        args += [list(column) for column in zip(*rows, strict=True)]
        args += [sorted({_lock_key(r[1]) for r in rows}), NOTIFY_CHANNEL]
    for _, write_args in writes:
        args += write_args
    await conn.execute(_composed(tuple(sql for sql, _ in writes), tuple(len(a) for _, a in writes), bool(rows)), *args)
    rows.clear()


_PARAMETER = re.compile(r"\$(\d+)")


@functools.lru_cache(maxsize=64)
def _composed(writes: tuple[str, ...], arities: tuple[int, ...], with_rows: bool) -> str:
    """One statement of ``writes`` and, ``with_rows``, the buffered rows (:data:`_FLUSH`, whose parameters come
    first): each write's parameters renumbered after those before it. The same writes give the same text, so
    asyncpg prepares it once per connection. The writes' texts must hold no ``$`` but their parameters'."""
    if not writes:
        return _FLUSH
    offset = 8 if with_rows else 0
    renumbered = []
    for sql, arity in zip(writes, arities, strict=True):
        renumbered.append(_PARAMETER.sub(lambda m, at=offset: f"${int(m.group(1)) + at}", sql))  # type: ignore[misc]
        offset += arity
    main = _FLUSH if with_rows else renumbered.pop()
    if not renumbered:
        return main
    return "WITH " + ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(renumbered)) + " " + main


@contextlib.contextmanager
def caused_by(spans: Mapping[str, trace.Span]) -> Iterator[None]:
    """Within the block, an event whose ``causationid`` is a key of ``spans`` (a ``ce_id``) carries the trace of
    that span, not the current one: a set-based handler applies many events at once, none of them current, and
    what each causes goes on in its own trace."""
    token = _causes.set(spans)
    try:
        yield
    finally:
        _causes.reset(token)


def _trace_headers(envelope: Envelope[Event]) -> Mapping[str, str]:
    causes = _causes.get()
    cause = causes.get(envelope.causationid) if causes is not None and envelope.causationid else None
    return telemetry.current_trace_headers() if cause is None else telemetry.trace_headers(cause)


def _lock_key(urn: str) -> str:
    return f"outbox:{urn}"


async def add(conn: asyncpg.Connection, envelope: Envelope[Event], *, topic: str | None = None) -> None:
    """Write an event to the outbox inside the caller's open transaction.

    Under a simulated time (:mod:`wja_platform.clock`) the event's ``ce_time`` is that time.
    Rows of one URN are serialised by a transaction-scoped advisory lock, so their ids,
    and so their publication order, follow commit order even under concurrent writers.
    """
    simulated = clock.simulated_time()
    if simulated is not None:  # under a simulated time, the event happened then (ce_time)
        envelope = envelope._replace(time=simulated)
    carrier = _trace_headers(envelope)
    headers = record_headers(envelope, carrier if carrier else None)
    row = (
        envelope.id,
        envelope.key,
        envelope.type,
        topic or case_topic(envelope.payload.producer),
        envelope.payload.model_dump_json().encode(),
        pydantic_core.to_json(list(headers.items())).decode(),  # text, as the statements take it: [[name, value], ...]
    )
    buffer = _buffer.get()
    if buffer is not None:
        buffer.append(row)
        return
    await conn.execute(_ADD, *row, _lock_key(envelope.key), NOTIFY_CHANNEL)


async def add_raw(
    conn: asyncpg.Connection,
    *,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, str]],
    ce_id: str,
    ce_type: str = "",
) -> None:
    """Write a record that is not one of this service's events (dead letters, retries)."""
    await conn.execute(
        "INSERT INTO outbox (ce_id, urn, ce_type, topic, value, headers) VALUES ($1,$2,$3,$4,$5,$6)"
        " ON CONFLICT (topic, ce_id) DO NOTHING",
        ce_id,
        (key or b"").decode(errors="replace"),
        ce_type,
        topic,
        value or b"",
        [[k, v] for k, v in headers],
    )
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


async def publish(conn: asyncpg.Connection, event: Event, *, causationid: str | None = None) -> None:
    """Write ``event`` to the outbox in the caller's transaction (every service publishes this way)."""
    await add(conn, new_envelope(event, causationid=causationid))
