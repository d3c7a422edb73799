"""A commit still being sent when the partitions are reassigned is dropped, never sent to the new assignment."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition
from wja_platform.offsets import Offsets

TP = TopicPartition("wja.intake.case.v1", 0)


class BlockedConsumer:
    """A consumer whose commit waits for a coordinator that never comes (the broker being replaced)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.dropped = False

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def position(self, tp: TopicPartition) -> int:
        return 10

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.dropped = True
            raise


class Rec:
    topic, partition, offset = TP.topic, TP.partition, 9


async def test_a_reassignment_drops_the_commit_being_sent() -> None:
    offsets, consumer = Offsets(0.01), BlockedConsumer()
    await offsets.processed(consumer, [Rec()])  # type: ignore[arg-type]
    committing = asyncio.create_task(offsets.commit())
    await consumer.started.wait()
    await offsets.listener().on_partitions_revoked({TP})
    await asyncio.wait_for(committing, 1)  # returns: the commit was dropped, not an error
    assert consumer.dropped


async def test_stopping_the_committer_still_stops_it() -> None:
    offsets, consumer = Offsets(0.01), BlockedConsumer()
    await offsets.processed(consumer, [Rec()])  # type: ignore[arg-type]
    committing = asyncio.create_task(offsets.commit())
    await consumer.started.wait()
    committing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await committing
