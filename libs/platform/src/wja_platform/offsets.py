"""Kafka offsets committed in the background, a few times a second, instead of after every batch.

Committing after each batch cost a round trip to the broker per batch: about 220 µs of the consumer's CPU,
140-180 µs of the broker's and 1 ms during which the consumer fetched nothing (issue 20, measured with the
embedded broker). Consumed batches are small while journeys run, so that was paid per event or two.

The order of things is kept: a batch's offsets are recorded (:meth:`Offsets.processed`) only after its
transaction committed, and only the offsets of processed records are ever committed, never the consumer's
position. What changes is how late: up to ``interval`` seconds. A crash, a rebalance or a failed commit in
that window means the records since the last commit are delivered again, and the inbox absorbs them
(the processed-event record commits with the effect), as it already did for a crash between a batch's
transaction and its commit. A batch that fails (the database away) is rewound to its first record of each
partition, as FastStream's nack did, so nothing is skipped.

An offset is only ever committed in the assignment its records were fetched in. A reassignment can put the
same partition names on a different log: after the broker is killed, the supervisor starts a new, empty
one and the relays republish everything to it, so offset 500 of the old log means nothing on the new one.
Committing an old offset there skipped the new log's records before it (the self-heal suite's broker case
lost timeline entries that way). So a reassignment (:meth:`listener`) drops what is pending, and a batch
that ends beyond the consumer's position (fetched before a reassignment, processed after it) is not
recorded: those records come again and the inbox absorbs them.

And an assignment on a cluster other than the last assignment's starts at the beginning of each partition, not
at the group's committed offset there: aiokafka retries a commit until a coordinator takes it, and one sent to the
old broker as it died can reach the new one before this consumer knows it is a new member (about 5 ms in the
self-heal suite's log of 2 December 2026). The new log holds the outboxes republished from their start, so the
beginning is where this consumer's events are; the inbox absorbs the ones it had applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError

log = logging.getLogger(__name__)

COMMIT_SECONDS = 5.0
"""How long a commit may wait for a coordinator to take it. aiokafka retries a commit until one does, and one that
has lost its coordinator for good waits forever: this task then committed nothing more, and at shutdown held the
service for its full 10 s (docs/reliability.md)."""
CLUSTER_ID_SECONDS = 5.0
"""How long an assignment waits for the broker's cluster id before it reads its partitions from the start."""


class Offsets:
    """Processed offsets per consumer and partition, committed by :meth:`run` every ``interval`` seconds."""

    def __init__(self, interval: float, cluster_id: Callable[[], Awaitable[str]] | None = None) -> None:
        """``cluster_id``: asks the broker for its cluster's id (:func:`wja_platform.messaging.cluster_id`); without
        it, every assignment starts at the committed offsets."""
        self.interval = interval
        self.cluster_id = cluster_id
        self.cluster: str | None = None  # the cluster of the last assignment that held partitions
        self._pending: dict[AIOKafkaConsumer, dict[TopicPartition, int]] = {}
        self._sending: set[asyncio.Task[None]] = set()

    async def processed(self, consumer: AIOKafkaConsumer, records: Sequence[Any]) -> None:
        """``records`` (aiokafka's) were applied and their transaction committed: their offsets may be committed.

        Only if they belong to the consumer's current assignment: the batch's end is at most the consumer's
        position there (the batch is the last thing it returned). After a reassignment the position is where
        the new assignment starts, and a batch beyond it belongs to the old one.
        """
        ends: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            ends[tp] = max(r.offset + 1, ends.get(tp, -1))
        owned = consumer.assignment()
        pending = self._pending.setdefault(consumer, {})
        for tp, end in ends.items():
            if tp not in owned:
                continue
            try:
                position = await consumer.position(tp)  # at once, unless a reassignment is resetting it
            except (IllegalStateError, KafkaError):
                continue  # no longer this consumer's
            if end <= position and end > pending.get(tp, -1):
                pending[tp] = end

    def forget(self) -> None:
        """A reassignment: what is pending belongs to the old one and is never committed, nor is a commit still
        being sent. aiokafka retries a commit until a coordinator takes it: one sent as the broker was killed
        went, after the rejoin had begun, to the new broker, with an offset of the old log (the self-heal
        suite's broker case, 2 December 2026)."""
        self._pending.clear()
        for task in self._sending:
            task.cancel()

    async def assigned(self, consumer: AIOKafkaConsumer | None, partitions: set[TopicPartition]) -> None:
        """A new assignment: start it at the beginning of each partition if the cluster is not the last one's.

        A cluster that cannot be asked (within :data:`CLUSTER_ID_SECONDS`) counts as another one: what comes again is
        absorbed, what is skipped is lost. The first assignment of a process has nothing to compare with and trusts the
        committed offsets, as a consumer that starts does.
        """
        if self.cluster_id is None or consumer is None or not partitions:
            return
        consumer.pause(*partitions)  # nothing of the assignment is handed out while its cluster is asked for
        try:
            try:
                async with asyncio.timeout(CLUSTER_ID_SECONDS):  # the rejoin waits for this listener
                    now: str | None = await self.cluster_id()
            except Exception as exc:  # whatever the reason, not knowing it must not skip a record
                log.warning(
                    "the broker's cluster id is unknown (%s): the assignment is read from the start", type(exc).__name__
                )
                now = None
            before, self.cluster = self.cluster, now or self.cluster
            if before is None or now == before:
                return  # the first assignment of this process, or the same log: the committed offsets hold
            log.warning(
                "a new broker cluster since the last assignment: %d partitions read from the start", len(partitions)
            )
            for tp in partitions & consumer.assignment():  # those not revoked meanwhile
                consumer.seek(tp, 0)  # a position: the committed offset is not used; below the log's start, "earliest"
        finally:
            with contextlib.suppress(IllegalStateError):
                consumer.resume(*(partitions & consumer.assignment()))  # a new assignment's partitions are not paused

    def listener(self, consumer: Callable[[], AIOKafkaConsumer | None] = lambda: None) -> ConsumerRebalanceListener:
        """For the subscription: :meth:`forget` on every revocation and assignment, then :meth:`assigned` with
        ``consumer()`` (the subscription's consumer at that time: a restart makes a new one)."""
        return _OnRebalance(self, consumer)

    @staticmethod
    def rewind(consumer: AIOKafkaConsumer, records: Sequence[Any]) -> None:
        """A batch failed: fetch each partition again from its first record in the batch."""
        earliest: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            earliest[tp] = min(r.offset, earliest.get(tp, r.offset))
        for tp, offset in earliest.items():
            if tp in consumer.assignment():
                consumer.seek(tp, offset)

    async def commit(self) -> None:
        """Commit what is pending now. A commit that fails (a rebalance, a partition no longer this member's,
        the broker away) is dropped: those records come again and the inbox absorbs them."""
        pending, self._pending = self._pending, {}
        for consumer, offsets in pending.items():
            owned = consumer.assignment()
            mine = {tp: offset for tp, offset in offsets.items() if tp in owned}
            if not mine:
                continue
            sending = asyncio.ensure_future(consumer.commit(mine))
            self._sending.add(sending)
            try:
                async with asyncio.timeout(COMMIT_SECONDS):
                    await sending
            except TimeoutError:
                log.info(
                    "offset commit dropped: not taken within %.0f s; those records will be delivered again",
                    COMMIT_SECONDS,
                )
            except asyncio.CancelledError:
                if not sending.cancelled() or _cancelling():
                    raise  # this task is being stopped, not the commit dropped by forget()
                log.info("offset commit dropped: the partitions were reassigned while it was being sent")
            except (KafkaError, AssertionError, RuntimeError) as exc:  # aiokafka asserts on a stopped consumer
                log.info("offset commit skipped (%s); those records will be delivered again", type(exc).__name__)
            finally:
                self._sending.discard(sending)

    async def run(self) -> None:
        """Background task: commit every ``interval`` seconds; once more when cancelled (shutdown)."""
        try:
            while True:
                await asyncio.sleep(self.interval)
                await self.commit()
        finally:
            await asyncio.shield(self.commit())


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class _OnRebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Forgets the old assignment's offsets on every change; checks each new assignment's cluster."""

    def __init__(self, offsets: Offsets, consumer: Callable[[], AIOKafkaConsumer | None]) -> None:
        self.offsets = offsets
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.offsets.forget()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.offsets.forget()
        await self.offsets.assigned(self.consumer(), set(assigned))
