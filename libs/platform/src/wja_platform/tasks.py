"""A service's background tasks and shutdown: waiting for a wake-up, stopping the tasks, bounding each step."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any

log = logging.getLogger(__name__)


async def woken(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set or ``seconds`` have passed; True if it was set.

    Not ``asyncio.wait_for(event.wait(), seconds)``: on Python 3.11 that returns normally when the task is cancelled
    in the same turn of the event loop as the event is set, so the cancellation is lost and a loop built on it runs
    on after shutdown cancelled it (the relay woken by a notification as the service stopped). ``asyncio.timeout``
    delivers the cancellation (``tests/unit/test_tasks.py``)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def stop(tasks: Sequence[asyncio.Task[Any]], seconds: float = 10.0) -> None:
    """Cancel ``tasks`` and wait for them at most ``seconds``, naming in a warning those that did not stop: a stuck
    task must not keep the process alive, and the operator must know which it was."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in done:  # retrieved, so that asyncio does not log them again as never retrieved
        if not task.cancelled():
            task.exception()
    if pending:
        names = ", ".join(sorted(task.get_name() for task in pending))
        log.warning("shutdown: background tasks %s did not stop within %g s; going on", names, seconds)


async def bounded(what: str, step: Awaitable[Any], seconds: float = 10.0) -> bool:
    """Run one shutdown step for at most ``seconds``; False, with a warning, if it did not finish: a stuck step must
    not keep the process alive."""
    try:
        await asyncio.wait_for(step, seconds)
        return True
    except TimeoutError:
        log.warning("shutdown: %s did not stop within %g s; going on", what, seconds)
        return False
