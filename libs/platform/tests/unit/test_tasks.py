"""A service's background tasks (wja_platform.tasks): a wake-up wait that never loses a cancellation, and a
shutdown that is bounded and names a task that did not stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
from wja_platform import tasks


async def _loop(wait, event: asyncio.Event, laps: list[int]) -> None:
    """A background loop as the relay's and the parking retries' are: wait for a wake-up or a timeout, work, again."""
    while True:
        await wait(event)
        event.clear()
        laps.append(1)


async def _wait_for(event: asyncio.Event) -> None:
    """What those loops did before: ``asyncio.wait_for`` on the event."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), 5)


async def _woken(event: asyncio.Event) -> None:
    await tasks.woken(event, 5)


async def _cancelled_as_woken(wait) -> bool:
    """Cancel the loop in the same turn of the event loop as its event is set (a notification arriving as the
    service stops); True if the loop ended."""
    event, laps = asyncio.Event(), []
    task = asyncio.create_task(_loop(wait, event, laps))
    await asyncio.sleep(0.01)  # waiting
    event.set()
    task.cancel()
    await asyncio.sleep(0.05)
    ended = task.done()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return ended


async def test_a_cancellation_that_comes_with_the_wake_up_ends_the_loop() -> None:
    assert await _cancelled_as_woken(_woken)


async def test_asyncio_wait_for_loses_that_cancellation_on_this_python() -> None:
    """Why :func:`tasks.woken` exists. Python 3.12 fixed ``wait_for``; this test then says so, and the helper can go."""
    assert not await _cancelled_as_woken(_wait_for)


async def test_woken_says_whether_the_event_was_set_or_the_time_ran_out() -> None:
    event = asyncio.Event()
    assert await tasks.woken(event, 0.05) is False
    event.set()
    assert await tasks.woken(event, 5) is True


async def _stubborn(release: asyncio.Event) -> None:
    """A task that does not stop when cancelled until ``release`` is set (as a shielded final commit can)."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        await release.wait()
        raise


async def _quiet() -> None:
    await asyncio.sleep(3600)


async def _failed() -> None:
    raise RuntimeError("boom")


async def test_a_task_that_does_not_stop_is_named_and_shutdown_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    release = asyncio.Event()
    running = [
        asyncio.create_task(_stubborn(release), name="offset-commits"),
        asyncio.create_task(_quiet(), name="outbox-relay"),
    ]
    await asyncio.sleep(0)  # both running
    with caplog.at_level(logging.WARNING, logger="wja_platform.tasks"):
        await asyncio.wait_for(tasks.stop(running, seconds=0.2), 5)
    warnings = [r.getMessage() for r in caplog.records if r.name == "wja_platform.tasks"]  # not other tests' tasks
    assert warnings == ["shutdown: background tasks offset-commits did not stop within 0.2 s; going on"]
    assert running[1].cancelled()
    assert not running[0].done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await running[0]


async def test_tasks_that_stop_or_failed_leave_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    running = [asyncio.create_task(_quiet(), name="ops-metrics"), asyncio.create_task(_failed(), name="job")]
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING):
        await tasks.stop(running, seconds=5)
    assert [r.getMessage() for r in caplog.records if r.name == "wja_platform.tasks"] == []
    assert running[0].cancelled()
    assert isinstance(running[1].exception(), RuntimeError)


async def test_no_tasks() -> None:
    await tasks.stop([], seconds=0.1)


async def test_a_bounded_step_that_does_not_finish_is_left_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="wja_platform.tasks"):
        assert await tasks.bounded("database pool", asyncio.sleep(3600), seconds=0.05) is False
        assert await tasks.bounded("consumer", asyncio.sleep(0), seconds=5) is True
    warnings = [r.getMessage() for r in caplog.records if r.name == "wja_platform.tasks"]
    assert warnings == ["shutdown: database pool did not stop within 0.05 s; going on"]
