"""Effectively-once consumption: inbox, batches, bounded retries, parking and dead letters.

A service gives an :class:`EventConsumer` one ``handler(conn, envelope)`` that applies an
event inside the open transaction ``conn`` (and may write to the outbox through it). The
consumer guarantees:

- **Once.** The inbox row (``ce_source#ce_id``) is written in the same transaction as the
  effect; a redelivered event has no second effect.
- **Durable before commit.** Kafka offsets of a batch are committed only after the batch's
  transaction committed, in the background a few times a second (:mod:`wja_platform.offsets`). An
  infrastructure failure (database down) rewinds the batch and it is delivered again, and so does an
  event's transaction that PostgreSQL aborted for a conflict with another (a deadlock): neither counts
  as the event's failure.
- **Batches.** A whole batch is applied in one transaction; if any event fails, the batch is
  rolled back and applied one event per transaction, so one bad event costs only itself.
- **Ignored.** Events of a type the service declared it has no use for (``handles``) are decoded, checked
  and counted, and not applied: no transaction, no inbox row, no span.
- **Poison.** Undecodable or schema-invalid records, and events whose handler keeps failing
  after ``max_attempts`` with backoff, go to ``wja.<consumer>.dlq.v1`` (through the outbox,
  in the same transaction) with topic, partition, offset, group, attempts and a redacted
  reason; the stream goes on. Unknown event types are skipped and counted.
- **Parking.** A handler raises :class:`NotReady` when the event needs one not yet seen
  (unknown URN, out of order). The event is parked in the database, later events of the same
  URN on the same topic queue behind it, and it is retried until ``parking_timeout`` (then
  dead-lettered). Events of the same case on other topics go on: they may be what it waits for.

Handlers must raise :class:`NotReady` before they write anything.

**Set-based handlers.** A service whose effects do not depend on order across cases may also give
a :class:`Batched`: the events it ``accepts`` are applied a run at a time (every accepted event
between two others, in order) by one call of ``apply(conn, envelopes)``, with a few statements per
run instead of a few per event. Each event still gets its own consumer span in its own trace, its
inbox row and its metrics; an event the run publishes with an applied event's ``ce_id`` as its
``causationid`` goes on in that event's trace (:func:`outbox.caused_by`). A failing run fails the batch,
which falls back to one event per transaction as above. Accepted events never park, and their effects
take their times from the events, not the clock: with the simulation on, every run is one event. The
per-event handler must still apply every event: a run of one, a parked event's retry and the simulation
use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import asyncpg
from opentelemetry import context, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.trace import Link, SpanKind
from wja_schemas import Envelope, Event, PoisonEventError, UnknownEventTypeError, from_record

from wja_platform import clock, db, deadletters, metrics, outbox, spans, tasks, telemetry

log = logging.getLogger(__name__)
SCOPE = "wja.consumer"
tracer = trace.get_tracer(SCOPE)

Handler = Callable[[asyncpg.Connection, Envelope[Event]], Awaitable[None]]
BatchHandler = Callable[[asyncpg.Connection, Sequence[Envelope[Event]]], Awaitable[None]]


@dataclass(frozen=True)
class Batched:
    """A set-based handler: ``apply(conn, envelopes)`` applies a run of the events ``accepts`` says yes to,
    in their order, as if each had been given to the per-event handler in turn (see the module docstring)."""

    accepts: Callable[[Envelope[Event]], bool]
    apply: BatchHandler


INFRA_ERRORS = db.UNAVAILABLE


class NotReady(Exception):
    """Raised by a handler: this event needs an earlier one first; park and retry it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HandlerError(Exception):
    """A handler error whose message is safe to put on a dead letter (no submitted values)."""


class Record(NamedTuple):
    """What the consumer needs of a Kafka record (also rebuilt from parked rows); a named tuple, as
    :class:`~wja_schemas.envelope.Envelope` is: one is made for every record read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, raw: Any) -> Record:
        """From an aiokafka ``ConsumerRecord``."""
        return cls(raw.topic, raw.partition, raw.offset, raw.key, raw.value, tuple(raw.headers or ()))

    @property
    def fallback_key(self) -> str:
        """What names a record that is not an event (it has no id): its place and a digest of its bytes.

        The place alone is not enough: a new, empty broker numbers offsets from 0 again, and two
        poison records at the same place would then count as one (the second silently dropped).
        """
        digest = hashlib.sha256()
        for part in (self.key or b"", self.value or b"", *(k.encode() + b"\0" + v for k, v in self.headers)):
            digest.update(len(part).to_bytes(8, "big") + part)
        return f"{self.topic}/{self.partition}/{self.offset}/{digest.hexdigest()[:16]}"


def redact(exc: BaseException) -> str:
    """A reason safe to store: our own safe messages, otherwise only the error's type."""
    if isinstance(exc, HandlerError | PoisonEventError | NotReady):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


class EventConsumer:
    """Applies a service's incoming events effectively once; see the module docstring."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        handler: Handler,
        *,
        service: str,
        group_id: str,
        max_attempts: int = 3,
        backoff_seconds: float = 0.05,
        parking_timeout_seconds: float = 3600.0,
        parking_retry_seconds: float = 1.0,
        simulation: bool = False,
        batched: Batched | None = None,
        handles: frozenset[str] | None = None,
    ) -> None:
        self.pool = pool
        self.handler = handler
        self.handles = handles
        """The ``ce_type``s the handler acts on (None: every type). Others are not applied: no transaction, no
        inbox row, no span; they are counted (``wja_events_ignored_total``)."""
        self.batched = None if simulation else batched
        """With the simulation on, every event goes to the per-event handler, applied at its own time."""
        self.service = service
        self.group_id = group_id
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.parking_timeout_seconds = parking_timeout_seconds
        self.parking_retry_seconds = parking_retry_seconds
        self.simulation = simulation
        """With the simulation on, an event is applied at its own time (``ce_time``): what it causes is
        stamped with the time of its cause, not of its arrival (:mod:`wja_platform.clock`)."""
        self._parking_wake = asyncio.Event()
        self.parked_hint = True

    # ---------------------------------------------------------------- batches
    async def process(self, raw_records: Sequence[Any]) -> None:
        """Apply one batch of Kafka records. Raises only on infrastructure failure."""
        records = [r if isinstance(r, Record) else Record.of(r) for r in raw_records]
        good: list[tuple[Record, Envelope[Event]]] = []
        poison: list[tuple[Record, str]] = []
        for rec in records:
            try:
                env = from_record(rec.key, rec.value, rec.headers)
            except UnknownEventTypeError:
                metrics.EVENTS_UNKNOWN.labels(self.service).inc()
            except PoisonEventError as exc:
                poison.append((rec, exc.reason))
            else:
                if self.handles is None or env.type in self.handles:
                    good.append((rec, env))
                else:  # no effect here, so nothing to record (a redelivery has none either)
                    metrics.EVENTS_IGNORED.labels(self.service, env.type).inc()
        if not good and not poison:
            return
        with metrics.APPLY_SECONDS.labels(self.service).time():
            try:
                async with self._transaction() as conn:
                    for rec, reason in poison:
                        await self._dead_letter(conn, rec, None, f"poison: {reason}", 1, "poison")
                    await self._apply_batch(conn, good)
            except INFRA_ERRORS:
                raise
            except Exception:
                log.info("batch of %s failed; applying one event per transaction", len(good))
                async with self.pool.acquire() as conn, conn.transaction():
                    for rec, reason in poison:
                        await self._dead_letter(conn, rec, None, f"poison: {reason}", 1, "poison")
                for rec, env in good:
                    await self._apply_alone(rec, env)
        if self.parked_hint:
            self._parking_wake.set()

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One transaction for a batch: one span for it (per-statement spans are suppressed
        here to keep batches fast) and the batch's outbox rows written in one statement."""
        with tracer.start_as_current_span(
            f"{self.service}.transaction", attributes={"db.system.name": "postgresql"}
        ) as span:
            token = context.attach(context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
            try:
                with outbox.buffered() as rows:
                    async with self.pool.acquire() as conn, conn.transaction():
                        yield conn
                        span.set_attribute("wja.outbox.rows", len(rows))
                        await outbox.flush(conn, rows)
            finally:
                context.detach(token)

    async def _apply_batch(self, conn: asyncpg.Connection, items: list[tuple[Record, Envelope[Event]]]) -> None:
        if not items:
            return
        seen: dict[str, tuple[Record, Envelope[Event]]] = {}
        for rec, env in items:
            seen.setdefault(env.idempotency_key, (rec, env))
        keys = list(seen)
        claimed = {
            r["event_key"]
            for r in await conn.fetch(
                "INSERT INTO inbox (consumer, event_key, ce_type, urn)"
                " SELECT $1, k, t, u FROM unnest($2::text[], $3::text[], $4::text[]) AS x(k, t, u)"
                " ON CONFLICT DO NOTHING RETURNING event_key",
                self.group_id,
                keys,
                [seen[k][1].type for k in keys],
                [seen[k][1].subject for k in keys],
            )
        }
        metrics.EVENTS_DUPLICATE.labels(self.service).inc(len(items) - len(claimed))
        waiting = await self._parked_streams(conn, {seen[k][1].subject for k in claimed})
        run: list[tuple[Record, Envelope[Event]]] = []
        for key in keys:
            if key not in claimed:
                continue
            rec, env = seen[key]
            if (env.subject, rec.topic) in waiting:
                await conn.execute("DELETE FROM inbox WHERE consumer = $1 AND event_key = $2", self.group_id, key)
                await self._park(conn, rec, env, "queued behind a parked event of the same case")
                continue
            if self.batched is not None and self.batched.accepts(env):
                run.append((rec, env))
                continue
            await self._call_run(conn, run)
            run = []
            try:
                await self._call(conn, rec, env)
            except NotReady as exc:
                await conn.execute("DELETE FROM inbox WHERE consumer = $1 AND event_key = $2", self.group_id, key)
                await self._park(conn, rec, env, exc.reason)
                waiting.add((env.subject, rec.topic))
        await self._call_run(conn, run)

    async def _apply_alone(self, rec: Record, env: Envelope[Event]) -> None:
        last: BaseException | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self._transaction() as conn:
                    await self._apply_batch(conn, [(rec, env)])
                return
            except (*INFRA_ERRORS, *db.CONFLICTS):
                raise  # not this event's failure: the batch is delivered again (rewound), never dead-lettered for it
            except Exception as exc:
                last = exc
                log.warning(
                    "applying %s failed (attempt %s/%s): %s",
                    env.type,
                    attempt,
                    self.max_attempts,
                    redact(exc),
                )
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        assert last is not None
        async with self.pool.acquire() as conn, conn.transaction():
            await self._dead_letter(conn, rec, env, f"handler failed: {redact(last)}", self.max_attempts, "failed")

    def _span_attributes(self, rec: Record, env: Envelope[Event]) -> dict[str, str | int]:
        return {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": rec.topic,
            "messaging.consumer.group.name": self.group_id,
            "messaging.kafka.message.key": env.subject,
            "messaging.kafka.offset": rec.offset,
            "messaging.destination.partition.id": str(rec.partition),
            "messaging.message.id": env.id,
            "wja.case.urn": env.subject,
            "wja.event.type": env.type,
        }

    def _start_span(
        self,
        rec: Record,
        env: Envelope[Event],
        links: list[Link] | None,
        run: int = 0,
        within: context.Context | None = None,
    ) -> trace.Span:
        """The event's consumer span, a child of the span that published it (in the event's own trace), or of
        ``within``'s span for an event without trace headers; ``run``: the size of the run it is applied in.
        Under an unsampled parent the span is not recorded, and is made without the SDK
        (:func:`telemetry.unsampled_span`); under a sampled one it is recorded, and made without the SDK's
        tracer too (:func:`spans.recorded_span`)."""
        span = telemetry.unsampled_span(env.trace)
        if span is not None:
            return span
        attributes = self._span_attributes(rec, env)
        if run:
            attributes["wja.run.events"] = run
        name = f"{self.service}.apply {env.type}"
        recorded = spans.recorded_span(SCOPE, name, env.trace, SpanKind.CONSUMER, attributes, links)
        if recorded is not None:
            return recorded
        return tracer.start_span(
            name,
            context=telemetry.remote_parent(env.trace, within),
            kind=SpanKind.CONSUMER,
            links=links,
            attributes=attributes,
        )

    async def _call(self, conn: asyncpg.Connection, rec: Record, env: Envelope[Event]) -> None:
        batch_span = trace.get_current_span().get_span_context()
        sim_token = clock.set_simulated_time(env.time) if self.simulation else None
        try:
            links = [Link(batch_span)] if batch_span.is_valid else None
            span = self._start_span(rec, env, links, within=context.get_current())
            with trace.use_span(span, end_on_exit=True):  # current: what the handler publishes goes on its trace
                urn_token = telemetry.set_case_urn(env.subject)
                try:
                    await self.handler(conn, env)
                except NotReady:
                    raise  # parked, not failed
                except Exception as exc:
                    telemetry.keep_error(type(exc).__name__, f"{self.service}.apply {env.type} failed", span=span)
                    raise
                finally:
                    telemetry.reset_case_urn(urn_token)
        finally:
            if sim_token is not None:
                clock.reset_simulated_time(sim_token)
        metrics.EVENTS_APPLIED.labels(self.service, env.type).inc()

    async def _call_run(self, conn: asyncpg.Connection, run: list[tuple[Record, Envelope[Event]]]) -> None:
        """Apply a run of accepted events with one call of the set-based handler; each event's span (in its
        own trace, linked to the batch) lasts the run's application."""
        if not run:
            return
        assert self.batched is not None
        if len(run) == 1:  # the per-event handler, with the per-event context (URN in logs, simulated time)
            await self._call(conn, *run[0])
            return
        batch_span = trace.get_current_span().get_span_context()
        links = [Link(batch_span)] if batch_span.is_valid else None
        spans = [self._start_span(rec, env, links, len(run)) for rec, env in run]
        try:
            with outbox.caused_by({env.id: span for (_, env), span in zip(run, spans, strict=True)}):
                await self.batched.apply(conn, [env for _, env in run])
        except BaseException as exc:
            for span, (_, env) in zip(spans, run, strict=True):
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
                telemetry.keep_error(type(exc).__name__, f"{self.service}.apply {env.type} failed", span=span)
            raise
        finally:
            for span in spans:
                span.end()
        for event_type, count in Counter(env.type for _, env in run).items():  # a label lookup a type, not an event
            metrics.EVENTS_APPLIED.labels(self.service, event_type).inc(count)

    # ---------------------------------------------------------------- parking
    async def _parked_streams(self, conn: asyncpg.Connection, urns: set[str]) -> set[tuple[str, str]]:
        """(URN, topic) pairs with a parked event: later events of that case on that topic queue behind it.

        Only the same topic: Kafka orders a case's events within its topic, never across topics, and
        an event waiting for one from another topic must not block that one (it is what it waits for).
        """
        if not urns or not self.parked_hint:
            return set()
        rows = await conn.fetch(
            "SELECT DISTINCT urn, topic FROM parked WHERE consumer = $1 AND urn = ANY($2::text[])",
            self.group_id,
            list(urns),
        )
        return {(r["urn"], r["topic"]) for r in rows}

    async def _park(self, conn: asyncpg.Connection, rec: Record, env: Envelope[Event], reason: str) -> None:
        self.parked_hint = True
        metrics.EVENTS_PARKED.labels(self.service).inc()
        await conn.execute(
            'INSERT INTO parked (consumer, event_key, urn, topic, partition, "offset", key, value,'
            " headers, reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
            " ON CONFLICT (consumer, event_key) DO NOTHING",
            self.group_id,
            env.idempotency_key,
            env.subject,
            rec.topic,
            rec.partition,
            rec.offset,
            rec.key,
            rec.value,
            [[k, v.decode(errors="replace")] for k, v in rec.headers],
            reason[:500],
        )

    async def retry_parked(self) -> int:
        """Retry the parked events that are due, oldest first per case; return how many applied."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM parked WHERE consumer = $1 ORDER BY seq LIMIT 500", self.group_id)
        if not rows:
            self.parked_hint = False
            return 0
        applied = 0
        blocked: set[tuple[str, str]] = set()
        for row in rows:
            if (row["urn"], row["topic"]) in blocked:
                continue
            rec = Record(
                row["topic"],
                row["partition"],
                row["offset"],
                row["key"],
                row["value"],
                tuple((k, v.encode()) for k, v in row["headers"]),
            )
            env = from_record(rec.key, rec.value, rec.headers)
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await conn.execute("DELETE FROM parked WHERE seq = $1", row["seq"])
                    claimed = await conn.fetchval(
                        "INSERT INTO inbox (consumer, event_key, ce_type, urn) VALUES ($1,$2,$3,$4)"
                        " ON CONFLICT DO NOTHING RETURNING 1",
                        self.group_id,
                        env.idempotency_key,
                        env.type,
                        env.subject,
                    )
                    if claimed:
                        await self._call(conn, rec, env)
                applied += 1
            except NotReady as exc:
                blocked.add((row["urn"], row["topic"]))
                await self._still_waiting(row, rec, env, exc.reason)
            except INFRA_ERRORS:
                raise
            except db.CONFLICTS:  # rolled back for another transaction's sake: still parked, tried again next round
                blocked.add((row["urn"], row["topic"]))
            except Exception as exc:
                blocked.add((row["urn"], row["topic"]))
                async with self.pool.acquire() as conn, conn.transaction():
                    await conn.execute("DELETE FROM parked WHERE seq = $1", row["seq"])
                    await self._dead_letter(conn, rec, env, f"handler failed: {redact(exc)}", row["attempts"], "failed")
        return applied

    async def _still_waiting(self, row: asyncpg.Record, rec: Record, env: Envelope[Event], reason: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            expired = await conn.fetchval(
                "UPDATE parked SET attempts = attempts + 1, reason = $2,"
                " next_attempt_at = now() + make_interval(secs => $3)"
                " WHERE seq = $1 RETURNING now() - first_parked_at > make_interval(secs => $4)",
                row["seq"],
                reason[:500],
                self.parking_retry_seconds,
                self.parking_timeout_seconds,
            )
            if expired:
                await conn.execute("DELETE FROM parked WHERE seq = $1", row["seq"])
                await self._dead_letter(conn, rec, env, f"parking timeout: {reason}", row["attempts"] + 1, "parked")

    async def run_parking(self) -> None:
        """Background task: retry parked events when woken or every ``parking_retry_seconds``."""
        while True:
            await tasks.woken(self._parking_wake, self.parking_retry_seconds)
            self._parking_wake.clear()
            try:
                await self.retry_parked()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("parking retry interrupted: %s", redact(exc))

    # ---------------------------------------------------------------- dead letters
    async def _dead_letter(
        self,
        conn: asyncpg.Connection,
        rec: Record,
        env: Envelope[Event] | None,
        reason: str,
        attempts: int,
        kind: str,
    ) -> None:
        metrics.EVENTS_DEAD.labels(self.service, kind).inc()
        await deadletters.add(
            conn,
            consumer=self.service,
            group_id=self.group_id,
            event_key=env.idempotency_key if env else rec.fallback_key,
            urn=env.subject if env else None,
            ce_type=env.type if env else None,
            topic=rec.topic,
            partition=rec.partition,
            offset=rec.offset,
            key=rec.key,
            value=rec.value,
            headers=rec.headers,
            attempts=attempts,
            reason=reason,
            kind=kind,
        )
