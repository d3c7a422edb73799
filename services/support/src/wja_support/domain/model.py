"""The victim's view of a case: stages, plain-English summaries, who must tell the victim what."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

STAGES = (
    "reported",
    "investigation",
    "charging",
    "pre_trial",
    "trial",
    "sentencing",
    "post_trial",
    "closed",
)
AGENCY = {"intake": "police", "charging": "cps", "court": "court", "support": "idva"}

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


def summary(event_type: str, p: dict[str, Any]) -> str:
    """A plain-English line for the timeline: codes and dates only, never personal data."""
    s = {
        "wja.intake.crime.reported.v1": lambda: (
            f"Crime reported to police ({', '.join(p.get('offence_codes', [])).replace('_', ' ')}); risk {p.get('risk_level')}"  # noqa: E501
        ),
        "wja.intake.risk.assessed.v1": lambda: (
            f"Risk assessed with {p.get('tool')}: {p.get('risk_level')}"
            + (" - referred to MARAC" if p.get("marac_referral") else "")
        ),
        "wja.intake.suspect.arrested.v1": lambda: "Suspect arrested",
        "wja.intake.suspect.interviewed.v1": lambda: "Suspect interviewed under caution",
        "wja.intake.bail.decided.v1": lambda: {
            "pre_charge_bail": f"Suspect released on bail until {p.get('until')} with {_conditions(p.get('conditions', []))}",  # noqa: E501
            "released_under_investigation": "Suspect released under investigation (no conditions)",
            "remanded": "Suspect remanded in custody",
        }.get(p.get("kind", ""), "Bail decided"),
        "wja.intake.protective_notice.issued.v1": lambda: (
            f"Police issued a {p.get('kind')} ({_conditions(p.get('conditions', []))})"
        ),
        "wja.intake.protective_order.decided.v1": lambda: (
            f"{p.get('kind')} {'granted' if p.get('granted') else 'refused'} by magistrates"
        ),
        "wja.intake.charging.requested.v1": lambda: "Police asked the CPS for a charging decision",
        "wja.intake.further_material.submitted.v1": lambda: "Police sent further material to the CPS",
        "wja.intake.victim.referred.v1": lambda: "Victim referred to the IDVA service",
        "wja.intake.victim_support.changed.v1": lambda: f"Victim's support for prosecution recorded: {p.get('status')}",
        "wja.intake.consent.withdrawn.v1": lambda: "Victim withdrew consent to the referral",
        "wja.intake.case.closed.v1": lambda: f"Police closed the crime (outcome {p.get('outcome_code')})",
        "wja.charging.decision.made.v1": lambda: {
            "charge": f"CPS decided to charge: {', '.join(c['offence_code'].replace('_', ' ') for c in p.get('charges', []))}",  # noqa: E501
            "no_further_action": "CPS decided not to charge (no further action)",
            "out_of_court_disposal": "CPS decided on an out-of-court disposal",
            "further_material_required": f"CPS asked police for more material by {p.get('due_date')}",
        }.get(p.get("decision", ""), "CPS decision"),
        "wja.charging.file.finalised.v1": lambda: "CPS file closed: further material was not provided in time",
        "wja.charging.review.requested.v1": lambda: "Victims' Right to Review requested",
        "wja.charging.review.decided.v1": lambda: f"Review decided: original decision {p.get('outcome')}",
        "wja.charging.proceedings.discontinued.v1": lambda: (
            f"CPS stopped the case ({str(p.get('reason', '')).replace('_', ' ')})"
        ),
        "wja.court.hearing.listed.v1": lambda: (
            f"{str(p.get('type', '')).replace('_', ' ').capitalize()} listed for {_when(p.get('starts_at'))} at court {p.get('court_code')}"  # noqa: E501
        ),
        "wja.court.hearing.unlisted.v1": lambda: (
            f"{str(p.get('type', '')).replace('_', ' ').capitalize()} waiting for a court date"
        ),
        "wja.court.hearing.vacated.v1": lambda: "A court hearing was cancelled",
        "wja.court.hearing.resulted.v1": lambda: f"Hearing result: {str(p.get('result', '')).replace('_', ' ')}",
        "wja.court.bail.decided.v1": lambda: (
            f"Court bail decision: {str(p.get('kind', '')).replace('_', ' ')} ({_conditions(p.get('conditions', []))})"
        ),
        "wja.court.special_measures.decided.v1": lambda: (
            f"Special measures {'granted' if p.get('granted') else 'refused'}"
        ),
        "wja.court.verdict.recorded.v1": lambda: f"Verdict: {p.get('verdict')}",
        "wja.court.sentence.imposed.v1": lambda: (
            f"Sentence: {str(p.get('disposal', '')).replace('_', ' ')}"
            + (f", {p.get('custody_months')} months" if p.get("custody_months") else "")
            + (f", {p.get('custody_days')} days" if p.get("custody_days") else "")
        ),
        "wja.court.restraining_order.made.v1": lambda: (
            f"Restraining order made on {p.get('basis')} ({_conditions(p.get('conditions', []))})"
        ),
        "wja.support.idva.assigned.v1": lambda: "An IDVA was assigned",
        "wja.support.victim.informed.v1": lambda: f"Victim told ({p.get('channel')})",
        "wja.support.special_measures.requested.v1": lambda: "IDVA asked for special measures",
        "wja.support.familiarisation.requested.v1": lambda: "IDVA asked for a pre-trial court visit",
        "wja.support.wishes.recorded.v1": lambda: (
            "Victim's wishes recorded" + (" (restraining order sought)" if p.get("restraining_order_sought") else "")
        ),
        "wja.support.personal_statement.recorded.v1": lambda: "Victim Personal Statement made",
        "wja.support.support.closed.v1": lambda: (
            "IDVA support closed" + (" - Victim Contact Scheme offered" if p.get("vcs_offered") else "")
        ),
    }.get(event_type)
    return s() if s else event_type


def stage_after(current: str, event_type: str, p: dict[str, Any]) -> str:
    """The stage a case reaches with an event; stages only move forward."""
    target = {
        "wja.intake.suspect.arrested.v1": "investigation",
        "wja.intake.suspect.interviewed.v1": "investigation",
        "wja.intake.bail.decided.v1": "investigation",
        "wja.intake.protective_notice.issued.v1": "investigation",
        "wja.intake.charging.requested.v1": "charging",
        "wja.intake.further_material.submitted.v1": "charging",
        "wja.charging.decision.made.v1": "pre_trial" if p.get("decision") == "charge" else "charging",
        "wja.court.hearing.listed.v1": "pre_trial",
        "wja.court.hearing.resulted.v1": {
            "not_guilty_plea": "trial",
            "guilty_plea": "sentencing",
            "effective": "trial",
        }.get(p.get("result", ""), "pre_trial"),
        "wja.court.verdict.recorded.v1": "sentencing" if p.get("verdict") == "convicted" else "post_trial",
        "wja.court.sentence.imposed.v1": "post_trial",
        "wja.charging.proceedings.discontinued.v1": "post_trial",
        "wja.intake.case.closed.v1": "closed",
        "wja.support.support.closed.v1": "closed",
    }.get(event_type)
    if current == "closed":
        return current
    if event_type == "wja.charging.review.decided.v1" and p.get("outcome") == "overturned":
        return "charging"  # VRR overturned an NFA or a discontinuance: the case is back with the CPS
    if target is None:
        return current
    return target if STAGES.index(target) > STAGES.index(current) else current


def vcs_due(p: dict[str, Any]) -> bool:
    """Whether a sentence owes the victim the Victim Contact Scheme (DVCVA 2004 s35). Court decides it from the
    charged offences (``vcs_eligible``); a sentence event without it (an older producer) falls back to immediate
    custody of 12 months or more, the offence being unknown: offering the scheme wrongly harms less than not."""
    if p.get("vcs_eligible") is not None:
        return bool(p["vcs_eligible"])
    return p.get("disposal") == "custody" and (p.get("custody_months") or 0) >= 12


def obligation_key(event_type: str, p: dict[str, Any]) -> str | None:
    """The rule key of an event that creates an obligation to tell the victim (``None``: nothing to tell).

    A hearing result creates one only when it is a conviction by guilty plea (``…resulted.v1:guilty_plea``);
    an action plan (further material required) is between police and CPS."""
    if event_type == "wja.charging.decision.made.v1" and p.get("decision") == "further_material_required":
        return None
    if event_type == "wja.court.hearing.resulted.v1":
        return f"{event_type}:guilty_plea" if p.get("result") == "guilty_plea" else None
    return event_type


def obligation(event_type: str, p: dict[str, Any], rules: dict[str, list]) -> list[tuple[str, int]]:
    """The chain of duties an event creates: [(duty holder, working days after the previous step)].

    One step for most events (the duty holder tells the victim). An outcome has two: the court tells the
    witness care unit within 5 working days, and the WCU tells the victim within 1 working day of
    receiving it (Victims' Code Right 9). The last step's holder is the one who tells the victim."""
    key = obligation_key(event_type, p)
    rule = rules.get(key) if key else None
    if not rule:
        return []
    steps = rule if isinstance(rule[0], list | tuple) else [rule]
    return [(str(holder), int(days)) for holder, days in steps]


def victim_tellers(rules: dict[str, list]) -> set[str]:
    """Every duty holder that tells a victim under ``rules``: the last step's holder of each rule."""
    return {str((rule if isinstance(rule[0], list | tuple) else [rule])[-1][0]) for rule in rules.values() if rule}


def event_time(payload: dict[str, Any], fallback: Any) -> Any:
    """When it happened: the payload's own ``*_at`` (domain time), else the envelope's time."""
    for key, value in payload.items():
        if key.endswith("_at") and key not in ("order_hearing_by", "starts_at") and value is not None:
            return value
    return fallback
