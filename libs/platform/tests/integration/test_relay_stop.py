"""The relay stops: when cancelled, even as a notification wakes it in the same turn of the event loop (it waits
with ``tasks.woken``, not ``asyncio.wait_for``, which lost that cancellation on Python 3.11 and left the relay
running, holding its connection and its election lock); and when its pool is closed under it, instead of retrying
for the life of the process."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from wja_platform import db
from wja_platform.relay import OutboxRelay

pytestmark = pytest.mark.integration


async def test_the_relay_stops_when_cancelled_as_it_is_woken(producer):
    relay = producer.relay
    for _ in range(3):
        task = asyncio.create_task(relay.run(), name="outbox-relay")
        async with asyncio.timeout(10):
            while not relay.running:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # its first pass done: waiting for a notification or its poll
        relay.wake()
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=3)
        assert task in done, "the relay ran on after it was cancelled"
        assert task.cancelled()
        assert not relay.running
        async with producer.pool.acquire() as conn:
            locks = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        assert locks == 0, "the relay kept its election lock"


async def test_a_relay_whose_pool_is_closed_under_it_stops_instead_of_retrying_for_ever(stack):
    """A relay left running when its pool closed (a test that cancelled it without waiting, a shutdown that gave
    up on it) retried every second, for the life of the process, logging "interrupted"; it now stops."""
    pool = await db.create_pool(stack.new_database("relay"))
    await db.migrate(pool, [])
    kafka = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await kafka.start()
    try:
        relay = OutboxRelay(
            pool, kafka, service="intake", bootstrap_servers=stack.bootstrap, topics=["wja.intake.case.v1"]
        )
        task = asyncio.create_task(relay.run(), name="outbox-relay")
        async with asyncio.timeout(10):
            while not relay.running:
                await asyncio.sleep(0.01)
        pool.terminate()  # its connection too
        done, _ = await asyncio.wait([task], timeout=relay.poll_seconds + 3)
        assert task in done, "the relay went on retrying with a closed pool"
        assert task.exception() is None and not relay.running
    finally:
        await kafka.stop()
