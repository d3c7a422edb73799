"""A clock that production reads and tests control, and that a simulation may move per request.

Services never call ``datetime.now()`` directly: they take a :class:`Clock`, so a test can
move time to check deadlines, bail expiry or administrative finalisation.

**Simulated time travels per request and per event, never globally.** Outside ``prod``, with
the simulation enabled (:mod:`wja_platform.simtime`), a request signed with a simulated time
(``WJA-Sim-Time``) or an event being consumed (its ``ce_time``) sets a context variable, and
:meth:`Clock.now` returns it for everything done on that request or event: records, payload
times, ``ce_time`` of the events it causes, Victims' Code deadlines. Other requests, background
jobs and other services keep their own time (the wall clock unless they carry one).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

_simulated: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("wja_simulated_time", default=None)


def simulated_time() -> datetime | None:
    """The simulated time of the request or event being handled (None: real time)."""
    return _simulated.get()


def set_simulated_time(at: datetime) -> contextvars.Token[datetime | None]:
    """Make ``at`` (UTC) the time of everything done from here in this task; undo with :func:`reset_simulated_time`.

    Only :mod:`wja_platform.simtime` and the consumer call it, and only when the simulation is enabled.
    """
    return _simulated.set(at.astimezone(UTC))


def reset_simulated_time(token: contextvars.Token[datetime | None]) -> None:
    """Undo :func:`set_simulated_time`."""
    _simulated.reset(token)


@contextlib.contextmanager
def simulating(at: datetime | None) -> Iterator[None]:
    """Within the block, :meth:`Clock.now` is ``at`` (``None``: no change)."""
    if at is None:
        yield
        return
    token = set_simulated_time(at)
    try:
        yield
    finally:
        reset_simulated_time(token)


class Clock:
    """The real clock (UTC), or the simulated time of the request or event being handled."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC (the simulated time when one is set)."""
        return _simulated.get() or datetime.now(UTC)

    def simulated(self) -> bool:
        """True while handling a request or event that carries a simulated time."""
        return _simulated.get() is not None


class FixedClock(Clock):
    """A clock that stands still until moved (for tests)."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to ``at``."""
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        self._at += delta
