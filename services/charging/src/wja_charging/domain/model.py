"""CPS rules: the DA charge table, decision validation, VRR windows, administrative finalisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
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


def decision_problems(body: dict, today: date) -> list[tuple[str, str]]:
    """Every rule a charging decision breaks, each naming its field (422 lists them all)."""
    decision, problems = body["decision"], []
    if decision == "charge" and not body.get("charges"):
        problems.append(("charges", "a charge decision needs at least one charge"))
    if decision != "charge" and body.get("charges"):
        problems.append(("charges", "only a charge decision carries charges"))
    if decision == "no_further_action" and not body.get("basis"):
        problems.append(("basis", "no further action needs its basis: evidential or public_interest"))
    if decision == "further_material_required":
        due = body.get("due_date")
        if due is None:
            problems.append(("due_date", "an action plan needs a due date"))
        elif due <= today:
            problems.append(("due_date", "the due date must be in the future"))
    if body["test"] == "threshold":
        if decision != "charge":
            problems.append(("test", "the Threshold Test applies only to a decision to charge"))
        if not (body.get("bail_risk_justification") or "").strip():
            problems.append(("bail_risk_justification", "the Threshold Test needs a recorded bail-risk justification"))
    return problems


def offence_dates(reported: list[dict]) -> dict[str, date]:
    """Each reported offence code with the earliest London date it occurred (empty for files from before)."""
    found: dict[str, date] = {}
    for o in reported:
        day = workdays.london_date(datetime.fromisoformat(o["occurred_at"]))
        found[o["code"]] = min(day, found.get(o["code"], day))
    return found


def occurred_on(code: str, offences: dict[str, date]) -> date | None:
    """When a charged offence occurred: its own reported date, else the incident's earliest reported date."""
    return offences.get(code) or (min(offences.values()) if offences else None)


def commencement_problems(charges: list[dict], offences: dict[str, date]) -> list[tuple[str, str]]:
    """A charge of an offence for conduct before the offence existed (SCA 2015 s75A, s76: not retrospective)."""
    problems = []
    for i, charge in enumerate(charges):
        day = occurred_on(charge["offence_code"], offences)
        start = legal.before_commencement(charge["offence_code"], day) if day else None
        if start is not None:
            name = charge["offence_code"].replace("_", " ")
            problems.append((f"charges.{i}.offence_code", f"{name} is an offence only from {start.isoformat()}"))
    return problems


def time_limits(charges: list[dict], offences: dict[str, date], statement_on: date | None) -> list[legal.TimeLimit]:
    """The time limit of each summary-only charge (MCA 1980 s127; CJA 1988 s39A for common assault)."""
    found = []
    for charge in charges:
        day = occurred_on(charge["offence_code"], offences)
        limit = legal.summary_time_limit(charge["offence_code"], day, statement_on) if day else None
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


def require_status(status: str, allowed: tuple[str, ...], action: str) -> None:
    if status not in allowed:
        raise Conflict(f"cannot {action}: the file is {status.replace('_', ' ')}")


def review_window(decided: datetime, requested: datetime, exceptional: bool, reason: str | None) -> bool:
    """A VRR request within 3 months of the decision is accepted; later only exceptionally, with a reason.

    Returns whether the request was accepted as an exceptional late one.

    CPS VRR guidance: requests "should be made within 10 working days" and "will be considered up to
    3 months" after the decision; later requests "only in exceptional circumstances"."""
    if requested < decided:
        raise Invalid("the request predates the decision", field="requested_at")
    if requested.date() <= decided.date() + relativedelta(months=VRR_WINDOW_MONTHS):
        return False
    if not exceptional:
        raise Conflict(
            "outside the 3-month window for a Victims' Right to Review: accepted only in exceptional "
            "circumstances (exceptional: true, with a reason)"
        )
    if not (reason or "").strip():
        raise Invalid("an exceptional late review needs its reason", field="reason")
    return True


def may_request_review(agency: str, role: str, sub: str, team: str | None, assignment: dict[str, str] | None) -> bool:
    """Who may ask for a Victims' Right to Review (journey.md: "idva or cps"): the CPS (any role but
    analyst), the IDVA service, and of IDVA staff only the IDVA assigned to the case or a manager of
    that IDVA's team (a manager's token names the team; none means ``default``)."""
    if agency == "cps" or (agency == "idva" and role == "service"):
        return True
    if agency != "idva" or assignment is None:
        return False
    if role == "idva":
        return sub == assignment["idva"]
    return role == "manager" and (team or "default") == assignment["team"]
