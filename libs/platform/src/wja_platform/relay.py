"""The outbox relay: publishes committed outbox rows to Kafka, in id order.

- Reads rows with ``published_at IS NULL`` in id order (no high-water mark), so a row that
  a slower concurrent transaction commits later is never skipped.
- Rows of one URN keep their order: they are sent in id order and Kafka keeps per-key order.
- A crash between publish and the ``published_at`` update means the row is sent again after
  restart: consumers' inboxes absorb the repeat.
- Wakes on ``LISTEN wja_outbox``; polls every ``poll_seconds`` as a fallback.
- One relay per database: a session advisory lock elects it; other instances wait.
- When the broker's cluster id changes (a new, empty broker), every row is republished.
- While elected it re-creates missing topics every ``topic_check_seconds``, concurrently with
  publishing: a send to a topic a new broker does not have yet waits for it, it is not
  auto-created (see :mod:`wja_platform.messaging`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import BatchBuilder
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from wja_schemas.envelope import current_headers

from wja_platform import db, messaging, metrics, spans, tasks, telemetry
from wja_platform.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

_key_hash = functools.lru_cache(maxsize=16_384)(murmur2)
"""murmur2 of a key, remembered for the last 16,384 keys: aiokafka's is pure Python (3.6 µs a key, issue 20), and a
case's key comes back with each of its events."""


def partition_of(key: bytes, partitions: list[int]) -> int:
    """The partition ``send`` would choose for ``key`` among ``partitions`` (sorted): aiokafka's default partitioner,
    murmur2 of the key as the Java client's."""
    return partitions[(_key_hash(key) & 0x7FFFFFFF) % len(partitions)]


SCOPE = "wja.relay"
tracer = trace.get_tracer(SCOPE)
_RELAY_LOCK = 7_411_002


class OutboxRelay:
    """Publishes a service's outbox; ``run()`` is the long-lived task, ``drain()`` one pass."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        service: str,
        bootstrap_servers: str,
        topics: list[str],
        partitions: int = 3,
        replication: int = 1,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        topic_check_seconds: float = 5.0,
    ) -> None:
        self.pool = pool
        self.producer = producer
        self.service = service
        self.bootstrap_servers = bootstrap_servers
        self.topics = topics
        self.partitions = partitions
        self.replication = replication
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.topic_check_seconds = topic_check_seconds
        self.topic_partitions: dict[str, int] = {}
        """Topics whose partition count differs from the configured one (name: actual count)."""
        self.running = False
        self.standby = False
        """True while another replica holds the relay lock (this one is healthy, just waiting)."""
        self.last_error: str | None = None
        self._wake = asyncio.Event()

    async def drain(self) -> int:
        """Publish every unpublished row once; return how many were published.

        A pass that found fewer rows than a batch does not look again: a row committed since is announced
        by its own notification (``wake``), which the run loop drains next (issue 20: one query less per wake).
        """
        total = 0
        while True:
            with telemetry.instrumentation_suppressed():  # housekeeping: a span each made traces of their own
                async with self.pool.acquire() as conn:
                    rows = await conn.fetch(
                        "SELECT id, topic, urn, value, headers FROM outbox WHERE published_at IS NULL"
                        " ORDER BY id LIMIT $1",
                        self.batch_size,
                    )
            if not rows:
                return total
            await self._publish(rows)  # a send span per row, in its event's trace
            with telemetry.instrumentation_suppressed():
                async with self.pool.acquire() as conn:
                    await conn.execute(
                        "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                        [r["id"] for r in rows],
                    )
            total += len(rows)
            metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
            if len(rows) < self.batch_size:
                return total

    async def _publish(self, rows: list[asyncpg.Record]) -> None:
        """Send ``rows`` in order, a record batch per partition (``send_batch``), and wait for every batch's ack.

        A record goes into its partition's open batch (the key's partition, as aiokafka's default partitioner
        chooses it); a full batch is sent and a new one opened, so each partition's batches leave in row order.
        A record sent through ``send`` each cost 22 µs of CPU, through a batch 12 µs (issue 20).
        """
        open_batches: dict[tuple[str, int], BatchBuilder] = {}
        partitions: dict[str, list[int]] = {}
        futures: list[asyncio.Future[Any]] = []
        for row in rows:
            topic, key = row["topic"], row["urn"].encode()
            headers = current_headers(row["headers"])  # a row stored under an older contract goes out current
            span = self._send_span(topic, row["urn"], headers)  # headers now name it as the consumer's parent
            try:
                if topic not in partitions:  # waits for the topic's metadata, as a send does
                    partitions[topic] = sorted(await self.producer.partitions_for(topic))
                partition = partition_of(key, partitions[topic])
                span.set_attribute("messaging.destination.partition.id", str(partition))
                value, encoded = bytes(row["value"]), [(k, v.encode()) for k, v in headers.items()]
                batch = open_batches.get((topic, partition))
                if batch is None or batch.append(key=key, value=value, timestamp=None, headers=encoded) is None:
                    futures += await self._add(open_batches, topic, partition, key, value, encoded)
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(trace.StatusCode.ERROR, type(exc).__name__)
                telemetry.keep_error(type(exc).__name__, f"send {topic} failed", span=span)
                raise
            finally:
                span.end()
        for (topic, partition), batch in open_batches.items():
            futures.append(await self.producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*futures)

    @staticmethod
    def _send_span(topic: str, urn: str, headers: dict[str, str]) -> trace.Span:
        """Start the record's send span, a child of the span that wrote the row (its trace headers), and make
        ``headers`` name it as the parent of what consumes the record. Under an unsampled parent it is not
        recorded, and is made without the SDK (:func:`telemetry.unsampled_span`): 21 → 2 µs a record; under a
        sampled one without the SDK's tracer (:func:`spans.recorded_span`). Nothing inside it is instrumented, so
        it is not made current."""
        span: trace.Span | None = telemetry.unsampled_span(headers)
        if span is None:
            name = f"send {topic}"
            attributes = {
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": topic,
                "messaging.kafka.message.key": urn,
                "messaging.message.id": headers.get("ce_id", ""),
                "wja.case.urn": urn,
                "wja.event.type": headers.get("ce_type", ""),
            }
            span = spans.recorded_span(SCOPE, name, headers, SpanKind.PRODUCER, attributes) or tracer.start_span(
                name, context=telemetry.remote_parent(headers), kind=SpanKind.PRODUCER, attributes=attributes
            )
        headers.update(telemetry.trace_headers(span))
        return span

    async def _add(
        self,
        open_batches: dict[tuple[str, int], BatchBuilder],
        topic: str,
        partition: int,
        key: bytes,
        value: bytes,
        headers: list[tuple[str, bytes]],
    ) -> list[asyncio.Future[Any]]:
        """Put a record whose partition has no open batch, or a full one, in a new batch; return the futures of what
        this sent (the full batch, or a record larger than a batch, sent alone as ``send`` would: after the
        partition's batches before it). A record that fits its open batch is appended by the caller."""
        batch = open_batches.get((topic, partition))
        sent = [] if batch is None else [await self.producer.send_batch(batch, topic, partition=partition)]
        batch = open_batches[(topic, partition)] = self.producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
            del open_batches[(topic, partition)]
            sent.append(await self.producer.send(topic, value, key=key, partition=partition, headers=headers))
        return sent

    async def check_cluster(self) -> bool:
        """Republish everything when the broker is a different (e.g. restarted, empty) cluster.

        Returns True when a republish was scheduled.
        """
        cluster_id = await messaging.cluster_id(self.bootstrap_servers)
        async with self.pool.acquire() as conn, conn.transaction():
            known = await conn.fetchval("SELECT value FROM relay_state WHERE name = 'cluster_id'")
            await conn.execute(
                "INSERT INTO relay_state (name, value) VALUES ('cluster_id', $1)"
                " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                cluster_id,
            )
            if known is not None and known != cluster_id:
                count = await conn.fetchval(
                    "WITH r AS (UPDATE outbox SET published_at = NULL"
                    " WHERE published_at IS NOT NULL RETURNING 1) SELECT count(*) FROM r"
                )
                log.warning("broker cluster changed; republishing %s outbox rows", count)
        if known != cluster_id:
            await self.ensure_topics()
        return known is not None and known != cluster_id

    async def ensure_topics(self) -> messaging.Topics:
        """Create this service's missing topics; log a partition count that differs from settings."""
        found = await messaging.ensure_topics(
            self.bootstrap_servers, self.topics, partitions=self.partitions, replication=self.replication
        )
        if found.created:
            log.warning("created missing topics %s", ", ".join(found.created))
        if found.partitions != self.topic_partitions:
            for name, count in found.partitions.items():
                log.warning("topic %s has %s partitions; settings say %s", name, count, self.partitions)
            self.topic_partitions = found.partitions
        return found

    async def _keep_topics(self) -> None:
        """Check the topics every ``topic_check_seconds``; after a failed check (the broker away,
        or restarting) again within a second: a consumer that rejoins a new broker before its
        topics are back waits for them (and the embedded broker may keep its empty assignment)."""
        pause = self.topic_check_seconds
        while True:
            await asyncio.sleep(pause)
            try:
                await self.ensure_topics()
                pause = self.topic_check_seconds
            except Exception as exc:  # the broker is away: readiness reports it
                log.info("topic check failed (%s)", type(exc).__name__)
                pause = min(1.0, self.topic_check_seconds)

    async def republish(self, since: datetime | None = None, topic: str | None = None) -> int:
        """Mark published rows (created at or after ``since``) to be sent again."""
        async with self.pool.acquire() as conn:
            count: int = await conn.fetchval(
                "WITH r AS (UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL"
                " AND ($1::timestamptz IS NULL OR created_at >= $1)"
                " AND ($2::text IS NULL OR topic = $2) RETURNING 1) SELECT count(*) FROM r",
                since,
                topic,
            )
        self.wake()
        return count

    def wake(self, *_: Any) -> None:
        """Ask the running relay to look at the outbox now."""
        self._wake.set()

    async def run(self) -> None:
        """Elect this process as the relay, then publish forever with LISTEN/NOTIFY wake-ups."""
        while True:
            try:
                await self._run_elected()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.running = False
                self.last_error = type(exc).__name__
                if self.pool.is_closing():  # nothing to publish from, ever again: a retry would log every second
                    log.info("outbox relay stopped: its database pool is closed (%s)", type(exc).__name__)
                    return
                log.warning("outbox relay interrupted (%s); retrying", type(exc).__name__)
                metrics.RELAY_ERRORS.labels(self.service).inc()
                await asyncio.sleep(1.0)

    async def _run_elected(self) -> None:
        conn: asyncpg.Connection = await self.pool.acquire()
        keeper: asyncio.Task[None] | None = None
        try:
            db.holds_session_state(conn)
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
                self.standby = True
                await asyncio.sleep(self.poll_seconds)
            self.standby = False
            await conn.add_listener(NOTIFY_CHANNEL, self.wake)
            await self.check_cluster()
            keeper = asyncio.create_task(self._keep_topics(), name=f"{self.service}-topics")
            self.running = True
            self.last_error = None
            checks = 0
            while True:
                self._wake.clear()
                await self.drain()
                await tasks.woken(self._wake, self.poll_seconds)
                checks += 1
                if checks % 10 == 0:
                    await self.check_cluster()
        finally:
            self.running = False
            if keeper is not None:
                keeper.cancel()
            with contextlib.suppress(Exception):
                await conn.remove_listener(NOTIFY_CHANNEL, self.wake)
                await conn.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK)
            with contextlib.suppress(Exception):  # a closed pool's error must not replace what ended the relay
                await self.pool.release(conn)
