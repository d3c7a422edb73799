"""How long each step of a simulated journey takes, and how IDVAs keep up with telling victims.

The figures and their sources are in ``docs/simulation.md``; where no published figure was found
the default is a project assumption, said so there, and every one is a field to change. Draws are
seeded per case (``seed`` and the case's index), so a plan replays the same journey in the same time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Pace:
    """Intervals in hours or days as (low, high) for a uniform draw, or (low, high, mode) for a triangular one."""

    arrest_hours: tuple[float, float] = (1, 24)
    bail_hours: float = 4
    custody_share: float = 0.5
    """Of arrested suspects, the share whose charging request comes while in custody (within PACE s41's 24 hours)."""
    custody_request_hours: tuple[float, float] = (4, 20)
    investigation_days: tuple[float, float] = (2, 42)
    """Report → charging request when the suspect is not dealt with in custody."""
    custody_decision_hours: tuple[float, float] = (1, 6)
    decision_days: tuple[float, float, float] = (1, 56, 10)
    """Charging request (or further material) → decision, when not a custody decision."""
    further_material_days: tuple[float, float] = (3, 13)
    """Action plan → police send the material (before the 14-day due date the CPS set)."""
    vrr_request_days: tuple[float, float] = (1, 14)
    vrr_decision_days: tuple[float, float] = (7, 42)
    closure_days: tuple[float, float] = (1, 10)
    discontinuance_days: tuple[float, float] = (1, 6)
    """Plea hearing → discontinuance (before the trial, listed at least 7 days after the plea)."""
    told_on_time: float = 0.8
    told_late: float = 0.15
    """The rest (5 %) are never told: so overdue caseloads and "told on time" carry real numbers."""
    late_hours: tuple[float, float] = (2, 240)


def rng_for(seed: int, index: int) -> random.Random:
    """The seeded generator of one case's timing (independent of the outcome mix's)."""
    return random.Random(f"pace:{seed}:{index}")


def hours(rng: random.Random, spec: tuple[float, ...]) -> timedelta:
    return timedelta(hours=_draw(rng, spec))


def days(rng: random.Random, spec: tuple[float, ...]) -> timedelta:
    return timedelta(days=_draw(rng, spec))


def _draw(rng: random.Random, spec: tuple[float, ...]) -> float:
    return rng.triangular(*spec) if len(spec) == 3 else rng.uniform(spec[0], spec[1])


def quarter_start(day: date) -> date:
    """The first day of the financial quarter (April, July, October, January) holding ``day``."""
    month = ((day.month - 1) // 3) * 3 + 1
    return date(day.year, month, 1)


def quarter_name(day: date) -> str:
    """``2027-28Q1`` for a day of April-June 2027 (as the CPS publishes quarters)."""
    first_year = day.year if day.month >= 4 else day.year - 1
    n = {4: 1, 7: 2, 10: 3, 1: 4}[quarter_start(day).month]
    return f"{first_year}-{(first_year + 1) % 100:02d}Q{n}"


def next_quarter(day: date) -> date:
    start = quarter_start(day)
    return date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)


def default_start(now: datetime | None = None) -> datetime:
    """The start of the next financial quarter, 09:00 London: simulated journeys run after the wall clock,
    so no real background job (finalisation, purges) sees their dates as past."""
    today = (now or datetime.now(UTC)).astimezone(LONDON).date()
    return datetime.combine(next_quarter(today), datetime.min.time(), LONDON).replace(hour=9).astimezone(UTC)


def quarters(first: datetime, last: datetime) -> list[str]:
    """Every financial quarter from the one holding ``first`` to the one holding ``last``."""
    out, day = [], quarter_start(first.astimezone(LONDON).date())
    while day <= last.astimezone(LONDON).date():
        out.append(quarter_name(day))
        day = next_quarter(day)
    return out


def quarter_bounds(name: str) -> tuple[datetime, datetime]:
    """A financial quarter's [start, end) instants: midnight London of its first day and of the next quarter's."""
    first_year, n = int(name[:4]), int(name[-1])
    month = (4, 7, 10, 1)[n - 1]
    day = date(first_year + (n == 4), month, 1)
    return (
        datetime.combine(day, datetime.min.time(), LONDON),
        datetime.combine(next_quarter(day), datetime.min.time(), LONDON),
    )
