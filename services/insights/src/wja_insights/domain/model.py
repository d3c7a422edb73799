"""What insights knows of a case: one row of dated facts, its restraining orders and its notifications.

Typed records (``TypedDict``): a fact rolled up from the archive has no ``urn``, and a case's facts arrive
one event at a time, so every field may be missing or ``None``. The measures (:mod:`.measures`), the
disclosure control (:mod:`.disclosure`) and the roll-up into counts (:mod:`.archive`) read these.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict


class Fact(TypedDict, total=False):
    """A case's dated facts, each set by its own event (late and out-of-order arrivals included)."""

    urn: str
    force_code: str | None
    reported_at: datetime | None
    arrested_at: datetime | None
    requested_at: datetime | None
    decision: str | None
    """The final charging decision (charge, no further action, out-of-court disposal), latest by decision time."""
    decided_at: datetime | None
    days_to_decision: int | None
    finalised_at: datetime | None
    guilty_plea_at: datetime | None
    verdict: str | None
    verdict_at: datetime | None
    discontinued: str | None
    """The reason of the latest discontinuance."""
    discontinued_at: datetime | None
    closure_code: str | None
    closed_at: datetime | None


class Order(TypedDict, total=False):
    """A restraining order made on a case (``force_code``: its case's, when read for the measures)."""

    urn: str
    made_at: datetime
    force_code: str | None


class Notification(TypedDict, total=False):
    """A record of the victim being told: how many entries on time and how many late."""

    urn: str
    told_at: datetime
    on_time: int
    late: int
    force_code: str | None
