"""CPS rules: the DA charge table, decision validation, VRR windows, administrative finalisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from wja_charging.domain.errors import IllegalTransition, Invalid


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


def validate_decision(body: dict, today: date) -> None:
    """Every rule of a charging decision; raises Invalid naming the field."""
    decision = body["decision"]
    if decision == "charge" and not body.get("charges"):
        raise Invalid("a charge decision needs at least one charge", field="charges")
    if decision != "charge" and body.get("charges"):
        raise Invalid("only a charge decision carries charges", field="charges")
    if decision == "no_further_action" and not body.get("basis"):
        raise Invalid("no further action needs its basis: evidential or public_interest", field="basis")
    if decision == "further_material_required":
        due = body.get("due_date")
        if due is None:
            raise Invalid("an action plan needs a due date", field="due_date")
        if due <= today:
            raise Invalid("the due date must be in the future", field="due_date")
    if body["test"] == "threshold":
        if decision != "charge":
            raise Invalid("the Threshold Test applies only to a decision to charge", field="test")
        if not (body.get("bail_risk_justification") or "").strip():
            raise Invalid(
                "the Threshold Test needs a recorded bail-risk justification",
                field="bail_risk_justification",
            )


def suggested_outcome_code(basis: str | None, victim_support: str) -> str | None:
    """The Home Office outcome the police are likely to close an NFA with."""
    if basis == "public_interest":
        return "9"
    if basis == "evidential":
        return "16" if victim_support == "withdrawn" else "15"
    return None


def require_status(status: str, allowed: tuple[str, ...], action: str) -> None:
    if status not in allowed:
        raise IllegalTransition(f"cannot {action}: the file is {status.replace('_', ' ')}")


def review_window(decided: datetime, requested: datetime) -> None:
    """A VRR request is accepted within 3 months of the decision (later: refused)."""
    if requested < decided:
        raise Invalid("the request predates the decision", field="requested_at")
    if requested.date() > decided.date() + relativedelta(months=VRR_WINDOW_MONTHS):
        raise IllegalTransition("outside the 3-month window for a Victims' Right to Review")


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
