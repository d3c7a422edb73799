"""Offsets are committed in the background (wja_platform.offsets): only processed records', a batch that
fails on the database is fetched again, not skipped, and an offset is only committed in the assignment its
records came from."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from wja_cli.testing import eventually, serve_app
from wja_platform import messaging
from wja_platform.lag import LagProbe
from wja_platform.offsets import Offsets
from wja_schemas import new_envelope
from wja_schemas.intake import CrimeReported
from wja_schemas.topics import case_topic

from .conftest import crime, group_suffix, new_urn, probe_app, probe_settings
from .test_plumbing import _count, applied, write

pytestmark = pytest.mark.integration

FAILED_ONCE: set[str] = set()


async def flaky_handler(conn, env):
    """The first time it meets a suspect called ``database-away``, fails as if PostgreSQL went away."""
    if not isinstance(env.payload, CrimeReported):
        return
    if env.payload.suspect.name == "database-away" and env.idempotency_key not in FAILED_ONCE:
        FAILED_ONCE.add(env.idempotency_key)
        raise ConnectionResetError("the database went away")
    await conn.execute("INSERT INTO applied (event_key, urn) VALUES ($1, $2)", env.idempotency_key, env.subject)


async def test_processed_offsets_are_committed_soon_after(stack, producer):
    group = f"g-{group_suffix()}"
    app = probe_app(probe_settings(stack, stack.new_database("probe"), consumer_group=group), flaky_handler)
    urns = [new_urn(700 + i) for i in range(6)]
    async with serve_app(app):
        await write(producer, [new_envelope(crime(urns[i % 6])) for i in range(30)])
        await producer.relay.drain()
        await eventually(lambda: _count(app, urns, 30))
        probe = LagProbe(stack.bootstrap, group)
        try:

            async def caught_up() -> bool:
                lags = await probe.lag([case_topic("intake")])
                return bool(lags) and all(p.lag == 0 for p in lags)

            await eventually(caught_up)  # committed = end offset on every partition, without a batch after
        finally:
            await probe.close()


async def test_a_batch_that_fails_on_the_database_is_fetched_again(stack, producer):
    app = probe_app(
        probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}"), flaky_handler
    )
    urns = [new_urn(720 + i) for i in range(3)]
    envs = [new_envelope(crime(urns[0]))]
    envs.append(
        new_envelope(
            crime(urns[1]).model_copy(
                update={"suspect": crime(urns[1]).suspect.model_copy(update={"name": "database-away"})}
            )
        )
    )
    envs.append(new_envelope(crime(urns[2])))
    async with serve_app(app):
        await write(producer, envs)
        await producer.relay.drain()
        await eventually(lambda: _count(app, urns, 3))
        got = await applied(app, set(urns))
    assert sorted(k for k, _ in got) == sorted(e.idempotency_key for e in envs)  # each once, none skipped
    assert envs[1].idempotency_key in FAILED_ONCE  # it did fail once


# --- a reassignment (e.g. onto a new, empty broker) never receives the old assignment's offsets ---------------


async def _reader(stack, group: str, topics: list[str], offsets: Offsets) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    consumer.subscribe(topics, listener=offsets.listener())
    await consumer.start()
    return consumer


async def _read(consumer: AIOKafkaConsumer, n: int) -> list:
    records: list = []
    for _ in range(100):
        for batch in (await consumer.getmany(timeout_ms=200)).values():
            records += batch
        if len(records) >= n:
            return records
    raise AssertionError(f"read {len(records)} of {n} records")


async def _committed(stack, group: str, topic: str) -> int | None:
    probe = LagProbe(stack.bootstrap, group)
    try:
        (partition,) = await probe.lag([topic])
    finally:
        await probe.close()
    return partition.committed


async def _topic_with(stack, records: int) -> str:
    topic = f"wja.offsets{group_suffix()}.case.v1"
    await messaging.ensure_topics(stack.bootstrap, [topic], partitions=1)
    kafka = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await kafka.start()
    try:
        for i in range(records):
            await kafka.send_and_wait(topic, b"{}", key=f"k{i}".encode())
    finally:
        await kafka.stop()
    return topic


async def test_a_batch_beyond_the_consumers_position_is_never_committed(stack):
    """A batch fetched in an old assignment (offsets 490-499 of a log the broker no longer has) and processed
    after a reassignment to a log of 10 records: committing 500 there would skip whatever is put before it."""
    topic = await _topic_with(stack, 10)
    group = f"g-{group_suffix()}"
    offsets = Offsets(60)
    consumer = await _reader(stack, group, [topic], offsets)
    try:
        records = await _read(consumer, 10)
        old_log = [SimpleNamespace(topic=topic, partition=0, offset=o) for o in range(490, 500)]
        await offsets.processed(consumer, old_log)
        await offsets.commit()
        assert await _committed(stack, group, topic) is None
        await offsets.processed(consumer, records)  # its own batch: committed
        await offsets.commit()
        assert await _committed(stack, group, topic) == 10
    finally:
        await consumer.stop()


async def test_offsets_pending_at_a_reassignment_are_dropped_and_the_records_come_again(stack):
    topic, other = await _topic_with(stack, 10), await _topic_with(stack, 0)
    group = f"g-{group_suffix()}"
    offsets = Offsets(60)
    consumer = await _reader(stack, group, [topic], offsets)
    try:
        await offsets.processed(consumer, await _read(consumer, 10))
        consumer.subscribe([topic, other], listener=offsets.listener())  # the group rebalances

        async def rebalanced() -> bool:
            return TopicPartition(other, 0) in consumer.assignment()

        await eventually(rebalanced)
        await offsets.commit()
        assert await _committed(stack, group, topic) is None  # the old assignment's 10 were dropped
        again = await _read(consumer, 10)  # nothing committed: the new assignment starts at the beginning
        assert [r.offset for r in again] == list(range(10))
        await offsets.processed(consumer, again)
        await offsets.commit()
        assert await _committed(stack, group, topic) == 10
    finally:
        await consumer.stop()


@pytest.mark.parametrize("cluster_changed", [True, False])
async def test_an_assignment_on_another_cluster_starts_at_the_beginning_not_at_the_committed_offset(
    stack, cluster_changed
):
    """A commit of the old log's offset can reach a new broker before the consumer knows it is a new member
    (aiokafka retries a commit until a coordinator takes it). So the first assignment on a cluster other than the
    last assignment's reads from the start; on the same cluster, from the committed offset. The cluster id is the
    only thing not real here: the offsets, the commit and the rebalance are the broker's."""
    topic, other = await _topic_with(stack, 10), await _topic_with(stack, 0)
    group = f"g-{group_suffix()}"
    cluster = {"id": "old"}

    async def cluster_id() -> str:
        return cluster["id"]

    offsets = Offsets(60, cluster_id=cluster_id)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    consumer.subscribe([topic], listener=offsets.listener(lambda: consumer))
    await consumer.start()
    try:
        assert [r.offset for r in await _read(consumer, 10)] == list(range(10))
        assert offsets.cluster == "old"
        await consumer.commit({TopicPartition(topic, 0): 7})  # as the stale commit: offset 7 of the old log
        cluster["id"] = "new" if cluster_changed else "old"
        consumer.subscribe([topic, other], listener=offsets.listener(lambda: consumer))  # the group rebalances

        async def rebalanced() -> bool:
            return TopicPartition(other, 0) in consumer.assignment()

        await eventually(rebalanced)
        first = (await _read(consumer, 10 if cluster_changed else 3))[0].offset
        assert first == (0 if cluster_changed else 7)
        assert offsets.cluster == cluster["id"]
    finally:
        await consumer.stop()


async def test_a_service_knows_its_brokers_cluster(stack):
    """The runtime asks the real broker (``messaging.cluster_id``) at each assignment."""
    settings = probe_settings(stack, stack.new_database("cluster"))
    app = probe_app(settings, _ignore)
    async with serve_app(app):
        runtime = app.state.runtime
        real = await messaging.cluster_id(stack.bootstrap)

        async def known() -> bool:
            return runtime.offsets.cluster == real

        await eventually(known, timeout=30)


async def _ignore(conn, env) -> None:
    return None
