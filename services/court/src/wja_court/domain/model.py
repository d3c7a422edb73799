"""Listing rules: target dates, priority, trial effectiveness codes, what each result leads to.

A target is a London calendar *date* (the day a hearing should be listed on or after), never an
instant: a sitting at 09:30 on the target day qualifies, whatever the time of the charge or plea.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from wja_court.domain import sentencing
from wja_court.domain.errors import IllegalTransition

LONDON = ZoneInfo("Europe/London")


def london_date(at: datetime) -> date:
    """The calendar date in London of an instant."""
    return at.astimezone(LONDON).date()


INEFFECTIVE_CODES = {
    # prosecution
    "M1",
    "M2",
    "M3",
    "M4",
    "N",
    "O",
    # defence
    "Q1",
    "Q2",
    "Q3",
    "R",
    "S1",
    "S2",
    "S4",
    "T",
    "U1",
    "U2",
    "V",
    # court
    "W1",
    "W2",
    "W3",
    "W4",
    "X",
    # other
    "S3",
    "W5",
    "Y",
    "Z",
}
"""HMCTS ineffective-trial reason codes grouped by party (domain.md 3.4)."""


@dataclass(frozen=True)
class ListingRules:
    """All configurable: days to the target date and the capacity each hearing type uses."""

    guilty_plea_days: int = 14
    not_guilty_days: int = 28
    trial_after_plea_days: int = 7
    sentencing_after_plea_days: int = 21
    adjourn_days: int = 14
    weights: dict[str, int] = field(
        default_factory=lambda: {"first_hearing": 1, "trial": 3, "sentencing": 1, "other": 1}
    )

    def weight(self, hearing_type: str) -> int:
        """The listing units a hearing of this type takes from a session's capacity."""
        return self.weights.get(hearing_type, 1)

    def first_hearing_target(self, charged_at: datetime, remanded: bool, anticipated_plea: str) -> date:
        """The London date to list on or after: remanded, the next sitting (the charge's own day);
        guilty plea anticipated, 14 days after the charge's London date; otherwise 28 (TSJ [S39])."""
        charged_on = london_date(charged_at)
        if remanded:
            return charged_on
        days = self.guilty_plea_days if anticipated_plea == "guilty" else self.not_guilty_days
        return charged_on + timedelta(days=days)

    def after_result(self, result: str, hearing_type: str, session_start: datetime) -> tuple[str, date] | None:
        """The hearing a result leads to, with its target London date (or None)."""
        sat_on = london_date(session_start)
        if result == "guilty_plea":
            return "sentencing", sat_on + timedelta(days=self.sentencing_after_plea_days)
        if result == "not_guilty_plea":
            return "trial", sat_on + timedelta(days=self.trial_after_plea_days)
        if result == "adjourned" or (result == "ineffective" and hearing_type == "trial"):
            return hearing_type, sat_on + timedelta(days=self.adjourn_days)
        return None


def day_start(day: date) -> datetime:
    """Midnight at the start of a London date, as an aware instant."""
    return datetime.combine(day, time(), LONDON)


def earliest_sitting(target: date, now: datetime) -> datetime:
    """The earliest session start a hearing may take: any sitting on the target London date
    (from its midnight), but never one that has already begun."""
    return max(day_start(target), now)


def priority(remanded: bool, risk_level: str | None) -> tuple[int, int]:
    """Remand and high risk go first when cases compete for capacity."""
    return (0 if remanded else 1, {"high": 0, "medium": 1}.get(risk_level or "", 2))


def result_problems(result: str, reason_code: str | None, hearing_type: str) -> list[tuple[str, str]]:
    """Every rule a hearing result breaks (422 lists them all): trial outcomes only for a trial; an
    ineffective trial needs an HMCTS ineffective-trial reason code [S46]."""
    problems = []
    if result in ("effective", "cracked", "ineffective") and hearing_type != "trial":
        problems.append(("result", "effective, cracked and ineffective describe a trial"))
    if result == "ineffective":
        if not reason_code:
            problems.append(("reason_code", "an ineffective trial needs its reason code"))
        elif reason_code not in INEFFECTIVE_CODES:
            problems.append(("reason_code", "not an HMCTS ineffective-trial reason code"))
    return problems


def check_verdict(case: dict) -> None:
    if not case["not_guilty_plea"]:
        raise IllegalTransition("a verdict needs a not-guilty plea first")
    if case["verdict"]:
        raise IllegalTransition("a verdict is already recorded")
    if case["discontinued"]:
        raise IllegalTransition("the proceedings were discontinued")


def check_not_before_sitting(now: datetime, sits_at: datetime | None, what: str) -> None:
    """In simulated time, an outcome is not recorded before its hearing sits (project rule: journey.md lets
    courts record late, never early; the real clock is not checked, so staff and tests record whenever)."""
    if sits_at is not None and now < sits_at:
        raise IllegalTransition(f"{what} cannot be recorded before its hearing sits", field="header.WJA-Sim-Time")


def convicted(case: dict) -> bool:
    return case["guilty_plea"] or case["verdict"] == "convicted"


def starts_new_proceedings(case: dict) -> bool:
    """A charge decision on a case whose proceedings were discontinued (the victim's right to review overturned
    the discontinuance and the CPS charged again) starts new proceedings: listed afresh from a first hearing.
    A further charge decision on live or concluded proceedings lists nothing."""
    return bool(case["discontinued"])


def check_sentence(
    case: dict, disposal: str, custody_months: int | None, custody_days: int | None = None
) -> sentencing.Length | None:
    """A sentence needs a conviction and none before it; its custodial term follows sentencing.check_term."""
    if not convicted(case):
        raise IllegalTransition("a sentence needs a conviction (guilty plea or verdict)")
    if case["sentence"]:
        raise IllegalTransition("a sentence is already recorded")
    return sentencing.check_term(disposal, custody_months, custody_days, case.get("offences") or [])


def check_restraining_order(case: dict, basis: str) -> None:
    if basis == "conviction" and not convicted(case):
        raise IllegalTransition("an order on conviction (SA 2020 s360) needs a conviction")
    if basis == "acquittal" and case["verdict"] not in ("acquitted", "dismissed"):
        raise IllegalTransition("an order on acquittal (PHA 1997 s5A) needs an acquittal")
