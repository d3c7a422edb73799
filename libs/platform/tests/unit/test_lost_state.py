"""What the watchdog logs of a consumer without its coordinator: how aiokafka's tasks stand (assignment.lost_state)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from wja_platform.assignment import lost_state


async def _ended(exc: BaseException | None) -> None:
    if exc is not None:
        raise exc


async def test_it_says_which_task_ended_and_how():
    failed = asyncio.create_task(_ended(KeyError("node 1")))
    running = asyncio.create_task(asyncio.Event().wait())
    await asyncio.wait([failed], timeout=1)
    lock = asyncio.Lock()
    await lock.acquire()
    consumer = SimpleNamespace(
        _coordinator=SimpleNamespace(_coordination_task=running, _coordinator_lookup_lock=lock),
        _client=SimpleNamespace(_sync_task=failed, _get_conn_lock_value=lock),
    )
    try:
        assert lost_state(consumer) == (
            "coordination routine running, metadata task ended with KeyError('node 1'), a coordinator lookup under way,"
            " a connection being opened"
        )
        running.cancel()
        await asyncio.wait([running])
        lock.release()
        assert lost_state(consumer) == (
            "coordination routine cancelled, metadata task ended with KeyError('node 1'),"
            " no coordinator lookup under way"
        )
    finally:
        running.cancel()


def test_a_consumer_not_started_has_nothing_to_show():
    assert lost_state(None) == "coordination routine absent, metadata task absent"
