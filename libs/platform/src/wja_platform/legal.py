"""The legal calendar: statutory periods and time limits that more than one agency computes.

Plain functions of dates, no I/O, so that the services' domain models may use them (the import
contract allows ``wja_platform.legal`` and ``wja_platform.workdays`` into a domain). Each function
names its rule; the sources and the tests are in ``docs/rules.md``.

Two ways a statute counts months, and they differ by a day:

- "a period of N months **beginning with** day D" includes D, so it ends on the day *before* the
  corresponding date N months on, or on the last day of that month when it has no corresponding
  date (PACE s47ZB's bail periods; DVPO durations);
- "within N months **from**" an event excludes the day of the event (Radcliffe v Bartholomew
  [1892] 1 QB 161), so the last day is the corresponding date itself (MCA 1980 s127; CJA 1988 s39A).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from wja_platform.workdays import LONDON, is_bank_holiday

SUMMARY_ONLY = frozenset({"common_assault", "harassment", "stalking"})
"""Offence codes triable only in a magistrates' court, so subject to a time limit (MCA 1980 s127):
common assault and battery (CJA 1988 s39), harassment (PHA 1997 s2), stalking (PHA 1997 s2A)."""

COMMENCEMENT = {
    "strangulation": date(2022, 6, 7),
    "coercive_control": date(2015, 12, 29),
}
"""Offences created recently, and the first day conduct can amount to them (no retrospective effect):
SCA 2015 s75A (inserted by DA Act 2021 s70, in force 7 June 2022); SCA 2015 s76 (in force 29 December 2015)."""

PROTECTIVE_NOTICE_HOURS = 48
"""A DVPO/DAPO application must be heard within 48 hours of the notice (CSA 2010 s27(3); DA Act 2021 s29(2))."""


def period_end(start: date, months: int) -> date:
    """The last day of a period of ``months`` months *beginning with* ``start``."""
    corresponding = start + relativedelta(months=months)
    if corresponding.day != start.day:  # no corresponding date: the period ends with that month
        return corresponding
    return corresponding - timedelta(days=1)


def months_from(day: date, months: int) -> date:
    """The last day of a period of ``months`` months *from* ``day`` (the day itself not counted)."""
    return day + relativedelta(months=months)


@dataclass(frozen=True)
class TimeLimit:
    """When proceedings for one summary-only offence must start, and under which provision."""

    offence_code: str
    last_day: date
    basis: str


def summary_time_limit(code: str, occurred_on: date, statement_on: date | None) -> TimeLimit | None:
    """The last day to start proceedings for a summary-only offence (``None`` if it is not one).

    Common assault in a domestic abuse context with the victim's formal statement or video-recorded
    interview: within 6 months from the first such statement and within 2 years from the offence
    (CJA 1988 s39A(4), which applies despite s127). Otherwise 6 months from the offence (MCA 1980 s127(1)).
    """
    if code not in SUMMARY_ONLY:
        return None
    if code == "common_assault" and statement_on is not None:
        last = min(months_from(statement_on, 6), months_from(occurred_on, 24))
        return TimeLimit(code, max(last, months_from(occurred_on, 6)), "CJA 1988 s39A")
    return TimeLimit(code, months_from(occurred_on, 6), "MCA 1980 s127")


def before_commencement(code: str, occurred_on: date) -> date | None:
    """The offence's commencement date when ``occurred_on`` is before it (the conduct was no such offence)."""
    start = COMMENCEMENT.get(code)
    return start if start is not None and occurred_on < start else None


def _disregarded(day: date) -> bool:
    """Sundays, Christmas Day, Good Friday and England and Wales bank holidays."""
    return day.weekday() == 6 or (day.month, day.day) == (12, 25) or is_bank_holiday(day)


def protective_hearing_deadline(served_at: datetime, hours: int = PROTECTIVE_NOTICE_HOURS) -> datetime:
    """When the 48 hours after a DVPN/DAPN end, the disregarded days not counted (CSA 2010 s27(4); DA Act 2021 s29(3)).

    Hours are counted on London calendar days; a disregarded day contributes none of its hours.
    """
    remaining = timedelta(hours=hours)
    at = served_at.astimezone(UTC)
    while True:
        day = at.astimezone(LONDON).date()
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
        if _disregarded(day):
            at = day_end
            continue
        if at + remaining <= day_end:
            return at + remaining
        remaining -= day_end - at
        at = day_end
