"""The victim's view of a case: its record, stages, who must tell the victim what, and by when.

Plain Python (no I/O): the service layer loads a :class:`Case`, asks these rules, and stores what
they decide. Event payloads come in their JSON form (:data:`Payload`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wja_platform.problems import Conflict, Invalid

from wja_support.domain.summaries import Payload, summary

__all__ = ["summary"]  # re-exported: the timeline's lines live in summaries.py

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
"""The stages in the order a case goes through them (the contract's ``SupportStage``; a unit test
ties the two, as the domain may not import the contract)."""
CLOSED = "closed"
AGENCY = {"intake": "police", "charging": "cps", "court": "court", "support": "idva"}
"""Which agency's events a producer publishes (the timeline's ``agency``)."""
CONTACT_TO_FETCH = frozenset({"pending", "failed_retrying"})
"""Contact statuses with a claim check still to make (a first try, or a retry after a failure that may pass)."""
Rules = Mapping[str, Sequence[Any]]
"""``SUPPORT_NOTICE_WORKING_DAYS``: rule key → [duty holder, working days], or a chain of such steps."""


@dataclass(frozen=True)
class Case:
    """Support's record of a case (a pseudonymous projection: codes and references, no personal data)."""

    urn: str
    stage: str = "reported"
    force_code: str | None = None
    victim_ref: str | None = None
    referral_basis: str | None = None
    idva: str | None = None
    team: str | None = None
    contact_status: str = "none"
    contact_attempts: int = 0
    next_contact_at: datetime | None = None
    custody_months: int | None = None
    support_closed: bool = False
    support_closed_at: datetime | None = None
    vcs_eligible: bool | None = None

    @property
    def referred(self) -> bool:
        return self.referral_basis is not None

    def vcs_offered(self, opt_in: bool) -> bool:
        """Closing support offers the Victim Contact Scheme when the sentence qualifies (DVCVA 2004 s35,
        decided by court) or at the IDVA's discretion (``opt_in``)."""
        return opt_in or bool(self.vcs_eligible)

    def check_may_close(self) -> None:
        if self.support_closed:
            raise Conflict("support is already closed")


@dataclass(frozen=True)
class Idva:
    """An IDVA on the roster: their token ``sub``, their team and the forces they serve."""

    sub: str
    team: str
    forces: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One duty of a chain: ``duty_holder`` passes the news on by ``by``."""

    duty_holder: str
    by: datetime


@dataclass(frozen=True)
class Entry:
    """One event on a case's timeline, with the duty to tell the victim it creates (if any)."""

    id: str
    urn: str
    at: datetime
    agency: str
    event_type: str
    summary: str
    steps: tuple[Step, ...] = ()

    @property
    def duty_holder(self) -> str | None:
        """Who tells the victim: the last step's holder."""
        return self.steps[-1].duty_holder if self.steps else None

    @property
    def tell_victim_by(self) -> datetime | None:
        return self.steps[-1].by if self.steps else None


@dataclass(frozen=True)
class Notice:
    """What recording a contact needs to know of an entry: its deadline and whether it was told."""

    id: str
    tell_victim_by: datetime | None
    told_at: datetime | None


def serves(idva: Idva, force: str | None) -> bool:
    """An IDVA works only within the forces on their roster entry (and a case of no known force is nobody's)."""
    return force is not None and force in idva.forces


def choose_idva(roster: Sequence[Idva], loads: Mapping[str, int], force: str | None) -> Idva | None:
    """The IDVA serving the force with the fewest open cases (ties: by id); nobody if none serves it.

    There is no fallback to an IDVA of another force: the case waits, unassigned, on the caseload of
    the managers whose teams serve the force ("needs an IDVA"), until one is added or assigned.
    """
    serving = [i for i in roster if serves(i, force)]
    if not serving:
        return None
    return min(serving, key=lambda i: (loads.get(i.sub, 0), i.sub))


def timeliness(about: Sequence[str], known: Mapping[str, Notice], at: datetime) -> tuple[int, int]:
    """(on time, late) of telling the victim about entries ``about`` at ``at``: each entry is told
    once (409 otherwise), and only entries of the case's timeline (422 otherwise)."""
    unknown = [i for i in about if i not in known]
    if unknown:
        raise Invalid(f"{len(unknown)} entry id(s) are not on this case's timeline", field="about")
    told = [i for i in about if known[i].told_at is not None]
    if told:
        raise Conflict(f"the victim was already told about {len(told)} of these entries: each is recorded once")
    deadlines = [n.tell_victim_by for n in known.values() if n.tell_victim_by is not None]
    on_time = sum(1 for d in deadlines if at <= d)
    return on_time, len(deadlines) - on_time


def stage_after(current: str, event_type: str, p: Payload) -> str:
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


def vcs_due(p: Payload) -> bool:
    """Whether a sentence owes the victim the Victim Contact Scheme (DVCVA 2004 s35). Court decides it from the
    charged offences (``vcs_eligible``); a sentence event without it (an older producer) falls back to immediate
    custody of 12 months or more, the offence being unknown: offering the scheme wrongly harms less than not."""
    if p.get("vcs_eligible") is not None:
        return bool(p["vcs_eligible"])
    return p.get("disposal") == "custody" and (p.get("custody_months") or 0) >= 12


def obligation_key(event_type: str, p: Payload) -> str | None:
    """The rule key of an event that creates an obligation to tell the victim (``None``: nothing to tell).

    A hearing result creates one only when it is a conviction by guilty plea (``…resulted.v1:guilty_plea``);
    an action plan (further material required) is between police and CPS."""
    if event_type == "wja.charging.decision.made.v1" and p.get("decision") == "further_material_required":
        return None
    if event_type == "wja.court.hearing.resulted.v1":
        return f"{event_type}:guilty_plea" if p.get("result") == "guilty_plea" else None
    return event_type


def obligation(event_type: str, p: Payload, rules: Rules) -> list[tuple[str, int]]:
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


def victim_tellers(rules: Rules) -> set[str]:
    """Every duty holder that tells a victim under ``rules``: the last step's holder of each rule."""
    return {str((rule if isinstance(rule[0], list | tuple) else [rule])[-1][0]) for rule in rules.values() if rule}


def event_time(payload: Payload, fallback: Any) -> Any:
    """When it happened: the payload's own ``*_at`` (domain time), else the envelope's time."""
    for key, value in payload.items():
        if key.endswith("_at") and key not in ("order_hearing_by", "starts_at") and value is not None:
            return value
    return fallback
