"""Working days in England and Wales, for Victims' Code and VRR clocks.

Bank holidays come from the maintained ``holidays`` library (UK, subdivision ENG, which
covers England and Wales). A deadline "N working days after an event" is 23:59:59 Europe/London
on the Nth working day after the event's London date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: date) -> bool:
    """An England and Wales bank holiday (Christmas Day and Good Friday included)."""
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(day: date, n: int) -> date:
    """The Nth working day after ``day`` (``n`` ≥ 0; 0 gives the next working day on or after)."""
    current = day
    if n == 0:
        while not is_working_day(current):
            current += timedelta(days=1)
        return current
    remaining = n
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def london_date(at: datetime) -> date:
    """The calendar date in London of an instant."""
    return at.astimezone(LONDON).date()


def deadline_after(at: datetime, working_days: int) -> datetime:
    """23:59:59 Europe/London on the Nth working day after ``at``'s London date, in UTC."""
    day = add_working_days(london_date(at), working_days)
    return datetime.combine(day, time(23, 59, 59), tzinfo=LONDON).astimezone(UTC)


def working_days_between(start: date, end: date) -> int:
    """How many working days lie after ``start`` up to and including ``end``."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
