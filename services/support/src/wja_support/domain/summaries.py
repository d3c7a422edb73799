"""The timeline's plain-English lines: one per event type support shows, codes and dates only, never
personal data (a unit test ties the keys to the contract's ``EVENT_TYPES``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
Payload = Mapping[str, Any]

_WORDS = {
    "no_contact_victim": "no contact with the victim",
    "no_contact_children": "no contact with the children",
    "exclusion_zone": "an exclusion zone",
    "residence": "a residence condition",
    "curfew": "a curfew",
    "reporting": "reporting to police",
    "electronic_monitoring": "electronic monitoring",
}


def _when(value: object) -> str:
    """An RFC 3339 time as '7 Dec 2026 10:00' in London time (as people read court dates)."""
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(LONDON)
    except ValueError:
        return str(value)
    return f"{at.day} {at:%b %Y %H:%M}"


def _conditions(codes: list[str]) -> str:
    return ", ".join(_WORDS.get(c, c.replace("_", " ")) for c in codes) or "no conditions"


SUMMARIES: dict[str, Callable[[Payload], str]] = {
    "wja.intake.crime.reported.v1": lambda p: (
        f"Crime reported to police ({', '.join(p.get('offence_codes', [])).replace('_', ' ')}); risk {p.get('risk_level')}"  # noqa: E501
    ),
    "wja.intake.risk.assessed.v1": lambda p: (
        f"Risk assessed with {p.get('tool')}: {p.get('risk_level')}"
        + (" - referred to MARAC" if p.get("marac_referral") else "")
    ),
    "wja.intake.suspect.arrested.v1": lambda p: "Suspect arrested",
    "wja.intake.suspect.interviewed.v1": lambda p: "Suspect interviewed under caution",
    "wja.intake.bail.decided.v1": lambda p: {
        "pre_charge_bail": f"Suspect released on bail until {p.get('until')} with {_conditions(p.get('conditions', []))}",  # noqa: E501
        "released_under_investigation": "Suspect released under investigation (no conditions)",
        "remanded": "Suspect remanded in custody",
    }.get(p.get("kind", ""), "Bail decided"),
    "wja.intake.protective_notice.issued.v1": lambda p: (
        f"Police issued a {p.get('kind')} ({_conditions(p.get('conditions', []))})"
    ),
    "wja.intake.protective_order.decided.v1": lambda p: (
        f"{p.get('kind')} {'granted' if p.get('granted') else 'refused'} by magistrates"
    ),
    "wja.intake.charging.requested.v1": lambda p: "Police asked the CPS for a charging decision",
    "wja.intake.further_material.submitted.v1": lambda p: "Police sent further material to the CPS",
    "wja.intake.victim.referred.v1": lambda p: "Victim referred to the IDVA service",
    "wja.intake.victim_support.changed.v1": lambda p: f"Victim's support for prosecution recorded: {p.get('status')}",
    "wja.intake.consent.withdrawn.v1": lambda p: "Victim withdrew consent to the referral",
    "wja.intake.case.closed.v1": lambda p: f"Police closed the crime (outcome {p.get('outcome_code')})",
    "wja.charging.decision.made.v1": lambda p: {
        "charge": f"CPS decided to charge: {', '.join(c['offence_code'].replace('_', ' ') for c in p.get('charges', []))}",  # noqa: E501
        "no_further_action": "CPS decided not to charge (no further action)",
        "out_of_court_disposal": "CPS decided on an out-of-court disposal",
        "further_material_required": f"CPS asked police for more material by {p.get('due_date')}",
    }.get(p.get("decision", ""), "CPS decision"),
    "wja.charging.file.finalised.v1": lambda p: "CPS file closed: further material was not provided in time",
    "wja.charging.review.requested.v1": lambda p: "Victims' Right to Review requested",
    "wja.charging.review.decided.v1": lambda p: f"Review decided: original decision {p.get('outcome')}",
    "wja.charging.proceedings.discontinued.v1": lambda p: (
        f"CPS stopped the case ({str(p.get('reason', '')).replace('_', ' ')})"
    ),
    "wja.court.hearing.listed.v1": lambda p: (
        f"{str(p.get('type', '')).replace('_', ' ').capitalize()} listed for {_when(p.get('starts_at'))} at court {p.get('court_code')}"  # noqa: E501
    ),
    "wja.court.hearing.unlisted.v1": lambda p: (
        f"{str(p.get('type', '')).replace('_', ' ').capitalize()} waiting for a court date"
    ),
    "wja.court.hearing.vacated.v1": lambda p: "A court hearing was cancelled",
    "wja.court.hearing.resulted.v1": lambda p: f"Hearing result: {str(p.get('result', '')).replace('_', ' ')}",
    "wja.court.bail.decided.v1": lambda p: (
        f"Court bail decision: {str(p.get('kind', '')).replace('_', ' ')} ({_conditions(p.get('conditions', []))})"
    ),
    "wja.court.special_measures.decided.v1": lambda p: (
        f"Special measures {'granted' if p.get('granted') else 'refused'}"
    ),
    "wja.court.verdict.recorded.v1": lambda p: f"Verdict: {p.get('verdict')}",
    "wja.court.sentence.imposed.v1": lambda p: (
        f"Sentence: {str(p.get('disposal', '')).replace('_', ' ')}"
        + (f", {p.get('custody_months')} months" if p.get("custody_months") else "")
        + (f", {p.get('custody_days')} days" if p.get("custody_days") else "")
    ),
    "wja.court.restraining_order.made.v1": lambda p: (
        f"Restraining order made on {p.get('basis')} ({_conditions(p.get('conditions', []))})"
    ),
    "wja.support.idva.assigned.v1": lambda p: "An IDVA was assigned",
    "wja.support.victim.informed.v1": lambda p: f"Victim told ({p.get('channel')})",
    "wja.support.special_measures.requested.v1": lambda p: "IDVA asked for special measures",
    "wja.support.familiarisation.requested.v1": lambda p: "IDVA asked for a pre-trial court visit",
    "wja.support.wishes.recorded.v1": lambda p: (
        "Victim's wishes recorded" + (" (restraining order sought)" if p.get("restraining_order_sought") else "")
    ),
    "wja.support.personal_statement.recorded.v1": lambda p: "Victim Personal Statement made",
    "wja.support.support.closed.v1": lambda p: (
        "IDVA support closed" + (" - Victim Contact Scheme offered" if p.get("vcs_offered") else "")
    ),
}
"""Event type → its timeline line, from the event's payload (JSON form)."""


def summary(event_type: str, p: Payload) -> str:
    """A plain-English line for the timeline (an unknown event type shows as itself)."""
    line = SUMMARIES.get(event_type)
    return line(p) if line else event_type
