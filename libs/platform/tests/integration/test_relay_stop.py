"""The relay stops when cancelled, even when a notification wakes it in the same turn of the event loop (as one can
while a service shuts down): it waits with ``tasks.woken``, not ``asyncio.wait_for``, which lost that cancellation
on Python 3.11 and left the relay running, holding its connection and its election lock."""

from __future__ import annotations

import asyncio

import pytest

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
