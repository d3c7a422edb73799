"""The relay sends a record batch per partition (``send_batch``): order per key across full batches, a record
larger than a batch sent alone in its place, and the partition ``send`` would have chosen."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from wja_platform import messaging, outbox
from wja_platform.relay import OutboxRelay

pytestmark = pytest.mark.integration


async def read_all(bootstrap: str, topic: str, n: int) -> list[tuple[int, bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"read-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest"
    )
    await consumer.start()
    got: list[tuple[int, bytes, bytes]] = []
    try:
        while len(got) < n:
            batches = await consumer.getmany(timeout_ms=5000)
            assert batches, f"only {len(got)} of {n} records arrived"
            for records in batches.values():
                got += [(r.partition, r.key, r.value) for r in records]
    finally:
        await consumer.stop()
    return got


async def test_full_batches_and_an_oversized_record_keep_each_keys_order(stack, producer):
    topic = f"wja.batches-{uuid.uuid4().hex[:8]}.v1"
    await messaging.ensure_topics(stack.bootstrap, [topic], partitions=3)
    small = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", max_batch_size=4096)
    await small.start()
    try:
        relay = OutboxRelay(producer.pool, small, service="intake", bootstrap_servers=stack.bootstrap, topics=[topic])
        keys = [f"01YE{n:05d}26" for n in (700, 701, 702, 703)]
        rows = []
        async with producer.pool.acquire() as conn, conn.transaction():
            for i in range(120):
                key = keys[i % len(keys)]
                value = (b"x" * 9000 if i == 61 else b"v" * 300) + f"#{i}".encode()  # 61: larger than a batch
                await outbox.add_raw(
                    conn, topic=topic, key=key.encode(), value=value, headers=[("ce_id", f"r{i}")], ce_id=f"r{i}"
                )
                rows.append((key.encode(), value))
        assert await relay.drain() == 120
    finally:
        await small.stop()
    got = await read_all(stack.bootstrap, topic, 120)
    assert sorted(v for _, _, v in got) == sorted(v for _, v in rows)  # each once
    for key in keys:
        assert [v for _, k, v in got if k == key.encode()] == [v for k, v in rows if k == key.encode()]
    partitions = [0, 1, 2]
    for partition, key, _ in got:  # where aiokafka's send would have put it (murmur2, as the Java client)
        assert partition == DefaultPartitioner()(key, partitions, partitions)
    assert len({p for p, _, _ in got}) > 1
