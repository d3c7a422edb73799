"""A clock that production reads and tests control.

Services never call ``datetime.now()`` directly: they take a :class:`Clock`, so a test can
move time to check deadlines, bail expiry or administrative finalisation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The real clock (UTC)."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FixedClock(Clock):
    """A clock that stands still until moved (for tests and simulations)."""

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
