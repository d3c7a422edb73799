"""An assignment whose broker cluster cannot be told from the last one's is read from the start: what comes again
is absorbed by the inbox, what would be skipped is lost. Partitions are paused while the cluster is asked for."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from wja_platform import offsets as offsets_module
from wja_platform.offsets import Offsets

TP = TopicPartition("wja.intake.case.v1", 0)


class Consumer:
    def __init__(self) -> None:
        self.paused: set[TopicPartition] = set()
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.paused_while_asked: bool | None = None

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def pause(self, *tps: TopicPartition) -> None:
        self.paused |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused -= set(tps)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))


def answers(*replies: str | Exception | None):
    """A cluster-id query answering each of ``replies`` in turn (None: never answers)."""
    queue = list(replies)

    async def cluster_id() -> str:
        reply = queue.pop(0)
        if reply is None:
            await asyncio.Event().wait()
        if isinstance(reply, Exception):
            raise reply
        assert isinstance(reply, str)
        return reply

    return cluster_id


async def test_an_unknown_cluster_after_a_known_one_is_read_from_the_start() -> None:
    offsets, consumer = Offsets(1, cluster_id=answers("a", OSError("broker away"))), Consumer()
    await offsets.assigned(consumer, {TP})  # type: ignore[arg-type]
    assert consumer.seeks == [] and offsets.cluster == "a"
    await offsets.assigned(consumer, {TP})  # type: ignore[arg-type]
    assert consumer.seeks == [(TP, 0)]
    assert offsets.cluster == "a"  # still the last one known
    assert consumer.paused == set()


async def test_a_cluster_id_that_never_comes_does_not_hold_the_assignment(monkeypatch) -> None:
    monkeypatch.setattr(offsets_module, "CLUSTER_ID_SECONDS", 0.05)
    offsets, consumer = Offsets(1, cluster_id=answers("a", None)), Consumer()
    await offsets.assigned(consumer, {TP})  # type: ignore[arg-type]
    await asyncio.wait_for(offsets.assigned(consumer, {TP}), 1)  # type: ignore[arg-type]
    assert consumer.seeks == [(TP, 0)]
    assert consumer.paused == set()


async def test_partitions_are_paused_while_the_cluster_is_asked_for() -> None:
    consumer = Consumer()

    async def cluster_id() -> str:
        consumer.paused_while_asked = TP in consumer.paused
        return "a"

    await Offsets(1, cluster_id=cluster_id).assigned(consumer, {TP})  # type: ignore[arg-type]
    assert consumer.paused_while_asked is True
    assert consumer.paused == set()


async def test_the_first_assignment_trusts_the_committed_offsets_even_unknown() -> None:
    offsets, consumer = Offsets(1, cluster_id=answers(OSError("broker away"))), Consumer()
    await offsets.assigned(consumer, {TP})  # type: ignore[arg-type]
    assert consumer.seeks == []
