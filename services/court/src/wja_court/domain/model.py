"""Listing rules: target dates, priority, trial effectiveness codes, what each result leads to.

A target is a London calendar *date* (the day a hearing should be listed on or after), never an
instant: a sitting at 09:30 on the target day qualifies, whatever the time of the charge or plea.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from wja_platform.problems import Conflict, Invalid, NotFound, refuse

from wja_court.domain import sentencing

LONDON = ZoneInfo("Europe/London")
T = TypeVar("T")


def london_date(at: datetime) -> date:
    """The calendar date in London of an instant."""
    return at.astimezone(LONDON).date()


INEFFECTIVE_CODES = frozenset(
    {
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
)
"""HMCTS ineffective-trial reason codes grouped by party (domain.md 3.4)."""

PLEAS = frozenset({"guilty_plea", "not_guilty_plea"})
"""Results that record a plea: once per proceedings."""
TRIAL_OUTCOMES = frozenset({"effective", "cracked", "ineffective"})
"""Results that describe a trial (HMCTS trial effectiveness)."""
ACQUITTALS = frozenset({"acquitted", "dismissed"})
"""Verdicts that end the proceedings without a conviction (a restraining order on acquittal, PHA 1997 s5A)."""


@dataclass(frozen=True)
class Case:
    """The court's view of a case: its charge, pleas and outcomes."""

    urn: str
    charged_at: datetime
    force_code: str | None = None
    risk_level: str | None = None
    remanded: bool = False
    anticipated_plea: str = "unknown"
    offences: tuple[str, ...] = ()
    discontinued: bool = False
    guilty_plea: bool = False
    not_guilty_plea: bool = False
    verdict: str | None = None
    sentenced: bool = False


@dataclass(frozen=True)
class Session:
    """A clustered DA session: its capacity and the units taken, in listing units."""

    session_id: str
    court_code: str
    starts_at: datetime
    capacity: int
    used: int = 0
    closed: bool = False

    @property
    def free(self) -> int:
        return self.capacity - self.used


@dataclass(frozen=True)
class Hearing:
    """A hearing of a case: listed in a session (``starts_at``, ``court_code``), unlisted, vacated or resulted."""

    hearing_id: str
    urn: str
    type: str
    status: str
    weight: int
    target: date
    session_id: str | None = None
    starts_at: datetime | None = None
    court_code: str | None = None
    result: str | None = None
    reason_code: str | None = None
    familiarisation_requested: bool = False


@dataclass(frozen=True)
class Waiting:
    """An unlisted hearing with what orders the queue (its case's remand and risk) and where it may go."""

    hearing: Hearing
    force_code: str | None
    remanded: bool
    risk_level: str | None
    created_at: datetime


@dataclass(frozen=True)
class MeasuresRequest:
    """A special-measures request from support, and the court's decision once made."""

    request_id: str
    urn: str
    measures: tuple[str, ...]
    decided: bool = False


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
    if result in TRIAL_OUTCOMES and hearing_type != "trial":
        problems.append(("result", "effective, cracked and ineffective describe a trial"))
    if result == "ineffective":
        if not reason_code:
            problems.append(("reason_code", "an ineffective trial needs its reason code"))
        elif reason_code not in INEFFECTIVE_CODES:
            problems.append(("reason_code", "not an HMCTS ineffective-trial reason code"))
    return problems


def check_resultable(hearing: Hearing) -> None:
    """Only a listed hearing can be resulted (409 otherwise)."""
    if hearing.status != "listed":
        raise Conflict(f"the hearing is {hearing.status}: only a listed hearing can be resulted")


def check_result(case: Case, hearing: Hearing, result: str, reason_code: str | None) -> None:
    """A plea is taken once per proceedings (409); then every broken rule of the result in one 422."""
    if result in PLEAS and (case.guilty_plea or case.not_guilty_plea):
        raise Conflict("a plea is already recorded")
    refuse(result_problems(result, reason_code, hearing.type))


def check_not_before_sitting(now: datetime, sits_at: datetime | None, what: str) -> None:
    """In simulated time, an outcome is not recorded before its hearing sits (project rule: journey.md lets
    courts record late, never early; the real clock is not checked, so staff and tests record whenever)."""
    if sits_at is not None and now < sits_at:
        raise Conflict(f"{what} cannot be recorded before its hearing sits", field="header.WJA-Sim-Time")


def check_capacity(session: Session, capacity: int) -> None:
    """A session's capacity cannot drop below the units already taken."""
    if capacity < session.used:
        raise Conflict(f"{session.used} places are already taken in this session")


def check_verdict(case: Case) -> None:
    if not case.not_guilty_plea:
        raise Conflict("a verdict needs a not-guilty plea first")
    if case.verdict:
        raise Conflict("a verdict is already recorded")
    if case.discontinued:
        raise Conflict("the proceedings were discontinued")


def ends_proceedings(verdict: str) -> bool:
    """An acquittal or a dismissal ends the court's part (a conviction waits for its sentence)."""
    return verdict != "convicted"


def convicted(case: Case) -> bool:
    return case.guilty_plea or case.verdict == "convicted"


def starts_new_proceedings(case: Case) -> bool:
    """A charge decision on a case whose proceedings were discontinued (the victim's right to review overturned
    the discontinuance and the CPS charged again) starts new proceedings: listed afresh from a first hearing.
    A further charge decision on live or concluded proceedings lists nothing."""
    return case.discontinued


def amends_charges(case: Case, offences: Sequence[str], decided_at: datetime) -> bool:
    """A later charge decision on live proceedings replaces the charged offences (when it names any)."""
    return bool(offences) and decided_at > case.charged_at


def check_sentence(
    case: Case, disposal: str, custody_months: int | None, custody_days: int | None = None
) -> sentencing.Length | None:
    """A sentence needs a conviction and none before it; its custodial term follows sentencing.check_term."""
    if not convicted(case):
        raise Conflict("a sentence needs a conviction (guilty plea or verdict)")
    if case.sentenced:
        raise Conflict("a sentence is already recorded")
    return sentencing.check_term(disposal, custody_months, custody_days, case.offences)


def check_restraining_order(case: Case, basis: str) -> None:
    if basis == "conviction" and not convicted(case):
        raise Conflict("an order on conviction (SA 2020 s360) needs a conviction")
    if basis == "acquittal" and case.verdict not in ACQUITTALS:
        raise Conflict("an order on acquittal (PHA 1997 s5A) needs an acquittal")


def check_refusal_reason(granted: bool, refusal_reason: str | None) -> None:
    """DA complainants are eligible for special measures (YJCEA 1999 s17(4A)): a refusal needs its reason."""
    if not granted and not (refusal_reason or "").strip():
        raise Invalid(
            "DA complainants are eligible (YJCEA s17(4A)): a refusal needs its reason",
            field="refusal_reason",
        )


def check_undecided(request: MeasuresRequest) -> None:
    if request.decided:
        raise Conflict("this request is already decided")


def found(thing: T | None, message: str) -> T:
    """``thing``, or a 404 saying what is missing."""
    if thing is None:
        raise NotFound(message)
    return thing
