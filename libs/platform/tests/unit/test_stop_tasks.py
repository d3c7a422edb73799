"""Stopping a service's background tasks (wja_platform.app._stop_tasks): bounded, and a stuck task is named."""

from __future__ import annotations

import asyncio
import logging

import pytest
from wja_platform.app import _stop_tasks


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
    tasks = [
        asyncio.create_task(_stubborn(release), name="offset-commits"),
        asyncio.create_task(_quiet(), name="outbox-relay"),
    ]
    await asyncio.sleep(0)  # both running
    with caplog.at_level(logging.WARNING, logger="wja_platform.app"):
        await asyncio.wait_for(_stop_tasks(tasks, seconds=0.2), 5)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["shutdown: background tasks offset-commits did not stop within 0.2 s; going on"]
    assert tasks[1].cancelled()
    assert not tasks[0].done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await tasks[0]


async def test_tasks_that_stop_or_failed_leave_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = [asyncio.create_task(_quiet(), name="ops-metrics"), asyncio.create_task(_failed(), name="job")]
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING):
        await _stop_tasks(tasks, seconds=5)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert tasks[0].cancelled()
    assert isinstance(tasks[1].exception(), RuntimeError)


async def test_no_tasks() -> None:
    await _stop_tasks([], seconds=0.1)
