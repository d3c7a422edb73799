"""CPS rules: the DA charge table, decision validation, VRR windows, administrative finalisation.

Plain Python: a charging file (:class:`File`) and what the CPS does with it, typed; the service layer
loads and saves them through the repository and maps them to events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from wja_platform import legal, workdays
from wja_platform.problems import Conflict, Invalid


@dataclass(frozen=True)
class Offence:
    statute: str
    mode_of_trial: str
    max_penalty: str


CHARGES = {
    "common_assault": Offence("CJA 1988 s39", "summary", "6 months"),
    "abh": Offence("OAPA 1861 s47", "either_way", "5 years"),
    "coercive_control": Offence("SCA 2015 s76", "either_way", "5 years"),
    "strangulation": Offence("SCA 2015 s75A", "either_way", "5 years"),
    "harassment": Offence("PHA 1997 s2", "summary", "6 months"),
    "harassment_fear_of_violence": Offence("PHA 1997 s4", "either_way", "10 years"),
    "stalking": Offence("PHA 1997 s2A", "summary", "6 months"),
    "stalking_fear_of_violence": Offence("PHA 1997 s4A", "either_way", "10 years"),
    "breach_restraining_order": Offence("PHA 1997 s5A / SA 2020 s363", "either_way", "5 years"),
    "breach_non_molestation_order": Offence("FLA 1996 s42A", "either_way", "5 years"),
    "criminal_damage": Offence("CDA 1971 s1", "either_way", "10 years"),
    "threats_to_kill": Offence("OAPA 1861 s16", "either_way", "10 years"),
}
"""Domestic abuse charges with statute, mode of trial and maximum penalty (domain.md 2.4)."""

RISK_ORDER = {"high": 0, "medium": 1, "standard": 2}
VRR_WINDOW_MONTHS = 3
VRR_LATE_AFTER_WORKING_DAYS = 10


TIME_LIMIT_WARNING_DAYS = 14
"""A charge of a summary-only offence within this many days of its time limit carries a warning."""


FileStatus = Literal["awaiting_decision", "further_material_required", "decided", "finalised"]
AWAITING_DECISION: FileStatus = "awaiting_decision"
DECIDABLE: frozenset[str] = frozenset({"awaiting_decision"})
"""Where a prosecutor may decide: a file awaiting a decision (not one waiting for further material)."""
REOPENED_BY_A_NEW_REQUEST: frozenset[str] = frozenset({"decided", "finalised"})
"""A fresh charging request brings these back for a new decision; a file still at the CPS keeps its state."""


@dataclass(frozen=True)
class ReportedOffence:
    """An offence the police reported, and when it occurred."""

    code: str
    occurred_at: datetime


@dataclass
class Submission:
    """What the police have sent: the charging request (MG3, in codes), then further material and
    changes of the victim's support. A new charging request replaces it."""

    force_code: str
    risk_level: str
    suspect: dict[str, Any]
    offence_codes: list[str]
    evidence: list[str]
    requested_test: str
    anticipated_plea: str
    remanded: bool
    victim_support: str
    offences: list[ReportedOffence] = field(default_factory=list)
    first_statement_at: datetime | None = None

    def statement_on(self) -> date | None:
        """The London date of the victim's first formal statement (starts CJA 1988 s39A), if any."""
        return workdays.london_date(self.first_statement_at) if self.first_statement_at else None


@dataclass(frozen=True)
class Charge:
    """One charge with its statute and mode of trial (from :data:`CHARGES`)."""

    offence_code: str
    statute: str
    mode_of_trial: str


def charge_of(code: str) -> Charge:
    return Charge(code, CHARGES[code].statute, CHARGES[code].mode_of_trial)


@dataclass(frozen=True)
class DecisionRequest:
    """What a prosecutor decides, as the rules read it (the reason stays with the service layer)."""

    decision: str
    test: str
    charges: tuple[str, ...] = ()
    basis: str | None = None
    due_date: date | None = None
    bail_risk_justification: str | None = None

    @property
    def is_final(self) -> bool:
        """Every decision but an action plan ends the charging stage."""
        return self.decision != "further_material_required"


@dataclass(frozen=True)
class DecisionSummary:
    """The last decision on a file, as the file view shows it and a review reads it."""

    decision: str
    test: str
    basis: str | None
    charges: tuple[Charge, ...]
    decided_at: datetime
    suggested_outcome_code: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "test": self.test,
            "basis": self.basis,
            "charges": [asdict(c) for c in self.charges],
            "decided_at": self.decided_at.isoformat(),
            "suggested_outcome_code": self.suggested_outcome_code,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DecisionSummary:
        return cls(
            decision=data["decision"],
            test=data["test"],
            basis=data.get("basis"),
            charges=tuple(Charge(**c) for c in data.get("charges", [])),
            decided_at=datetime.fromisoformat(data["decided_at"]),
            suggested_outcome_code=data.get("suggested_outcome_code"),
        )


@dataclass
class File:
    """A CPS charging file: what the police sent, and where the CPS is with it."""

    urn: str
    submission: Submission
    received_at: datetime
    status: FileStatus = AWAITING_DECISION
    due_date: date | None = None
    review_by: date | None = None
    last_decision: DecisionSummary | None = None
    decided_at: datetime | None = None
    days_to_decision: int | None = None
    discontinued_at: datetime | None = None


@dataclass
class Review:
    """A Victims' Right to Review request and, once decided, its outcome (reasons stay here)."""

    review_id: str
    urn: str
    decision_type: str
    requested_at: datetime
    requested_by: str
    late: bool
    exceptional: bool = False
    exceptional_reason: str | None = None
    outcome: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Assignment:
    """The IDVA assigned to a case, and their team (from support)."""

    idva: str
    team: str


def reopen(file: File, submission: Submission) -> bool:
    """A charging request on a decided or finalised file brings it back for a fresh decision with what the
    police now send; the first statement date never moves later (CJA 1988 s39A(4)(b)). Returns whether it did."""
    if file.status not in REOPENED_BY_A_NEW_REQUEST:
        return False
    submission.first_statement_at = file.submission.first_statement_at or submission.first_statement_at
    file.submission = submission
    file.status = AWAITING_DECISION
    file.due_date = None
    return True


def material_returned(file: File, evidence: Sequence[str], first_statement_at: datetime | None) -> bool:
    """Further material answers an action plan: the file is back for a decision with the new evidence.
    Returns whether it was waiting for it."""
    if file.status != "further_material_required":
        return False
    file.submission.evidence = sorted({*file.submission.evidence, *evidence})
    file.submission.first_statement_at = file.submission.first_statement_at or first_statement_at
    file.status = AWAITING_DECISION
    file.due_date = None
    return True


def decision_problems(request: DecisionRequest, today: date) -> list[tuple[str, str]]:
    """Every rule a charging decision breaks, each naming its field (422 lists them all)."""
    decision, problems = request.decision, []
    if decision == "charge" and not request.charges:
        problems.append(("charges", "a charge decision needs at least one charge"))
    if decision != "charge" and request.charges:
        problems.append(("charges", "only a charge decision carries charges"))
    if decision == "no_further_action" and not request.basis:
        problems.append(("basis", "no further action needs its basis: evidential or public_interest"))
    if decision == "further_material_required":
        if request.due_date is None:
            problems.append(("due_date", "an action plan needs a due date"))
        elif request.due_date <= today:
            problems.append(("due_date", "the due date must be in the future"))
    if request.test == "threshold":
        if decision != "charge":
            problems.append(("test", "the Threshold Test applies only to a decision to charge"))
        if not (request.bail_risk_justification or "").strip():
            problems.append(("bail_risk_justification", "the Threshold Test needs a recorded bail-risk justification"))
    return problems


def offence_dates(reported: Sequence[ReportedOffence]) -> dict[str, date]:
    """Each reported offence code with the earliest London date it occurred (empty for files from before)."""
    found: dict[str, date] = {}
    for o in reported:
        day = workdays.london_date(o.occurred_at)
        found[o.code] = min(day, found.get(o.code, day))
    return found


def occurred_on(code: str, offences: dict[str, date]) -> date | None:
    """When a charged offence occurred: its own reported date, else the incident's earliest reported date."""
    return offences.get(code) or (min(offences.values()) if offences else None)


def commencement_problems(charges: Sequence[str], offences: dict[str, date]) -> list[tuple[str, str]]:
    """A charge of an offence for conduct before the offence existed (SCA 2015 s75A, s76: not retrospective)."""
    problems = []
    for i, code in enumerate(charges):
        day = occurred_on(code, offences)
        start = legal.before_commencement(code, day) if day else None
        if start is not None:
            name = code.replace("_", " ")
            problems.append((f"charges.{i}.offence_code", f"{name} is an offence only from {start.isoformat()}"))
    return problems


def time_limits(charges: Sequence[str], offences: dict[str, date], statement_on: date | None) -> list[legal.TimeLimit]:
    """The time limit of each summary-only charge (MCA 1980 s127; CJA 1988 s39A for common assault)."""
    found = []
    for code in charges:
        day = occurred_on(code, offences)
        limit = legal.summary_time_limit(code, day, statement_on) if day else None
        if limit is not None:
            found.append(limit)
    return found


def check_time_limits(limits: list[legal.TimeLimit], today: date) -> list[str]:
    """Refuse a charge past its time limit (409 naming it); return warnings for those within 14 days."""
    expired = [t for t in limits if today > t.last_day]
    if expired:
        raise Conflict(
            "; ".join(
                f"{t.offence_code.replace('_', ' ')} is out of time: proceedings had to start by "
                f"{t.last_day.isoformat()} ({t.basis})"
                for t in expired
            )
        )
    return [
        f"{t.offence_code.replace('_', ' ')}: proceedings must start by {t.last_day.isoformat()} ({t.basis}), "
        f"{(t.last_day - today).days} days from now"
        for t in limits
        if (t.last_day - today).days <= TIME_LIMIT_WARNING_DAYS
    ]


def suggested_outcome_code(basis: str | None, victim_support: str) -> str | None:
    """The Home Office outcome the police are likely to close an NFA with."""
    if basis == "public_interest":
        return "9"
    if basis == "evidential":
        return "16" if victim_support == "withdrawn" else "15"
    return None


def require_status(status: str, allowed: frozenset[str], action: str) -> None:
    if status not in allowed:
        raise Conflict(f"cannot {action}: the file is {status.replace('_', ' ')}")


def review_by(test: str, now: datetime, review_days: int) -> date | None:
    """A Threshold Test charge is reviewed under the Full Code Test by this date (``review_days`` after)."""
    return (now + timedelta(days=review_days)).date() if test == "threshold" else None


def record_decision(
    file: File, request: DecisionRequest, charges: tuple[Charge, ...], now: datetime, review_days: int
) -> None:
    """The file after a decision: decided (days to decision counted from the charging request), or waiting
    for further material until the action plan's due date."""
    suggested = None
    if request.decision == "no_further_action":
        suggested = suggested_outcome_code(request.basis, file.submission.victim_support)
    file.last_decision = DecisionSummary(request.decision, request.test, request.basis, charges, now, suggested)
    file.status = "decided" if request.is_final else "further_material_required"
    file.due_date = request.due_date
    file.review_by = review_by(request.test, now, review_days)
    if request.is_final:
        file.decided_at = now
        file.days_to_decision = (now.date() - file.received_at.date()).days


def finalise(file: File) -> None:
    """Further material not returned by the action plan's due date: the file is administratively finalised."""
    file.status = "finalised"


def qualifying_decision(file: File) -> tuple[str, datetime]:
    """The decision a VRR may be asked of (a decision not to charge, or a discontinuance) and when it was made."""
    if file.discontinued_at is not None:
        return "discontinuance", file.discontinued_at
    last = file.last_decision
    if file.status == "decided" and last is not None and last.decision == "no_further_action":
        return "no_further_action", last.decided_at
    raise Conflict("a review needs a decision not to charge or a discontinuance")


def review_is_late(decided: datetime, requested: datetime) -> bool:
    """A VRR request after 10 working days of the decision is accepted, flagged late."""
    days = workdays.working_days_between(workdays.london_date(decided), workdays.london_date(requested))
    return days > VRR_LATE_AFTER_WORKING_DAYS


def overturn(file: File) -> None:
    """An overturned review takes the file back for a new decision (a discontinuance is undone)."""
    file.status = AWAITING_DECISION
    file.discontinued_at = None


def discontinue(file: File, now: datetime) -> None:
    """Only charged proceedings can be discontinued (POA 1985 s23), and only once."""
    last = file.last_decision
    if file.status != "decided" or last is None or last.decision != "charge" or file.discontinued_at:
        raise Conflict("only charged proceedings can be discontinued")
    file.discontinued_at = now


def review_window(decided: datetime, requested: datetime, exceptional: bool, reason: str | None) -> bool:
    """A VRR request within 3 months of the decision is accepted; later only exceptionally, with a reason.

    Returns whether the request was accepted as an exceptional late one.

    CPS VRR guidance: requests "should be made within 10 working days" and "will be considered up to
    3 months" after the decision; later requests "only in exceptional circumstances"."""
    if requested < decided:
        raise Invalid("the request predates the decision", field="requested_at")
    if requested.date() <= legal.months_from(decided.date(), VRR_WINDOW_MONTHS):
        return False
    if not exceptional:
        raise Conflict(
            "outside the 3-month window for a Victims' Right to Review: accepted only in exceptional "
            "circumstances (exceptional: true, with a reason)"
        )
    if not (reason or "").strip():
        raise Invalid("an exceptional late review needs its reason", field="reason")
    return True


def may_request_review(agency: str, role: str, sub: str, team: str | None, assignment: Assignment | None) -> bool:
    """Who may ask for a Victims' Right to Review (journey.md: "idva or cps"): the CPS (any role but
    analyst), the IDVA service, and of IDVA staff only the IDVA assigned to the case or a manager of
    that IDVA's team (a manager's token names the team; none means ``default``)."""
    if agency == "cps" or (agency == "idva" and role == "service"):
        return True
    if agency != "idva" or assignment is None:
        return False
    if role == "idva":
        return sub == assignment.idva
    return role == "manager" and (team or "default") == assignment.team
