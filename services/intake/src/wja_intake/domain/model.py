"""Police rules: URNs, risk bands, case status transitions, bail and protective-order clocks."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from wja_platform import legal, workdays
from wja_platform.problems import Conflict, Invalid

# Case statuses are the contract's vocabulary (``wja_schemas.types.CaseStatus``, journey.md section 3);
# the domain names only the rules over them, and a unit test ties each name to that vocabulary.
CLOSED = "closed"
OPEN = frozenset(
    {
        "reported",
        "under_investigation",
        "awaiting_charging_decision",
        "further_material_required",
        "charged",
        "awaiting_closure",
    }
)
"""Every status but closed: a protective notice, the victim's support and closure may be recorded."""
SUSPECT_ACTIONS = OPEN - {"awaiting_closure"}
"""An arrest or interview may be recorded until the case awaits its closure."""
PRE_CHARGE = SUSPECT_ACTIONS - {"charged"}
"""Pre-charge bail may be decided until the suspect is charged."""
MAY_REQUEST_CHARGING = frozenset({"reported", "under_investigation"})
"""A charging decision may be requested once, before the CPS has the file."""
AWAITING_MATERIAL = frozenset({"further_material_required"})
"""Further material answers an action plan, and only while one is open."""
AFTER_DECISION = {
    "charge": "charged",
    "no_further_action": "awaiting_closure",
    "out_of_court_disposal": "awaiting_closure",
    "further_material_required": "further_material_required",
}
"""The police status a CPS decision leads to (a closed case stays closed)."""
OUTCOME_CODES = {"1", "1A", *(str(n) for n in range(2, 23))}
BAIL_PERIOD_MONTHS = (3, 6, 9)
"""Pre-charge bail: initial 3 months (custody officer), 6 (inspector), 9 (superintendent), then court."""
STATEMENT = "victim_statement"
"""The evidence code of the victim's formal witness statement (or video-recorded interview)."""


@dataclass
class Case:
    """A police case as intake keeps it; the JSON parts (offences, suspect, risk, bail, protective
    notices, action plan, CPS decision, closure) are kept as the documents the police view shows."""

    urn: str
    force_code: str
    unit: str
    victim_ref: str
    status: str
    reported_at: datetime
    offences: list[dict[str, Any]]
    suspect: dict[str, Any]
    risk: dict[str, Any]
    referral_basis: str
    first_statement_at: datetime | None = None
    consent_withdrawn: bool = False
    victim_support: str = "unknown"
    arrested_at: datetime | None = None
    interviewed_at: datetime | None = None
    bail: dict[str, Any] | None = None
    protective: list[dict[str, Any]] = field(default_factory=list)
    action_plan: dict[str, Any] | None = None
    cps_decision: dict[str, Any] | None = None
    closure: dict[str, Any] | None = None
    assigned_idva: str | None = None
    assigned_idva_forces: list[str] | None = None
    contact_purged_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.status == CLOSED


def investigating(status: str) -> str:
    """A case still at ``reported`` is under investigation once the police act on the suspect."""
    return "under_investigation" if status == "reported" else status


def statement_at(first: datetime | None, evidence: Sequence[str], now: datetime) -> datetime | None:
    """The first time the victim gave a formal statement: s39A's clock starts then and never moves."""
    return first or (now if STATEMENT in evidence else None)


def format_urn(force: str, unit: str, sequence: int, year: int) -> str:
    """``01YE0098726``: force, unit, 5-digit sequence, 2-digit year."""
    if sequence > 99999:
        msg = "the URN sequence for this force, unit and year is exhausted"
        raise Conflict(msg)
    return f"{force}{unit}{sequence:05d}{year % 100:02d}"


def dash_level(score: int) -> str:
    """DASH bands by count of 'yes' answers: 1-9 standard, 10-13 medium, 14+ high."""
    if score >= 14:
        return "high"
    if score >= 10:
        return "medium"
    return "standard"


def risk_level(tool: str, score: int | None, level: str | None) -> str:
    """The risk level: computed for DASH, given for DARA."""
    if tool == "DASH":
        if score is None:
            raise Invalid("a DASH assessment needs its score", field="risk.score")
        return dash_level(score)
    if level is None:
        raise Invalid("a DARA assessment needs its level", field="risk.level")
    return level


DEFAULT_TOOL_VERSIONS = {"DASH": "2009", "DARA": "2022"}


def assess_risk(tool: str, score: int | None, level: str | None, version: str | None) -> dict[str, Any]:
    """The risk record of a report: a high-risk case is flagged for MARAC (criterion (a), visible high risk)."""
    found = risk_level(tool, score, level)
    return {
        "tool": tool,
        "version": version or DEFAULT_TOOL_VERSIONS.get(tool, "2022"),
        "score": score,
        "level": found,
        "marac": found == "high",
    }


def victim_ref(key: bytes, force: str, name: str, date_of_birth: date) -> str:
    """A pseudonym stable across one victim's cases in a force, revealing nothing about them."""
    material = f"{force}|{' '.join(name.lower().split())}|{date_of_birth.isoformat()}".encode()
    return f"V{force}-{hmac.new(key, material, hashlib.sha256).hexdigest()[:16]}"


def bail_start(arrested_on: date | None, decided_on: date) -> date:
    """The bail start date: the day after the arrest (PACE s47ZB(4)).

    Without a recorded arrest, the day after the decision (the earliest the arrest can have been)."""
    return (arrested_on or decided_on) + timedelta(days=1)


def bail_limit(start: date, extensions: int) -> date:
    """The last day the authorising rank may grant: 3, 6 or 9 months beginning with the bail start date.

    Initial period by a custody officer (PACE s47ZB), extended by an inspector (s47ZD) and a
    superintendent (s47ZE); beyond 9 months only a magistrates' court (s47ZF)."""
    months = BAIL_PERIOD_MONTHS[min(extensions, len(BAIL_PERIOD_MONTHS) - 1)]
    end: date = legal.period_end(start, months)
    return end


def bail_extensions(previous: Mapping[str, Any], until: date | None) -> int:
    """How many times pre-charge bail has been extended: a re-recorded bail counts only when it extends."""
    if previous.get("kind") != "pre_charge_bail":
        return 0
    before = int(previous.get("extensions", 0))
    earlier = date.fromisoformat(previous["until"]) if previous.get("until") else None
    return before + 1 if until is not None and earlier is not None and until > earlier else before


def bail_exceeds_authority(start: date, until: date | None, extensions: int = 0) -> bool:
    """True when ``until`` lies past the period the authorising rank may grant (flagged, not refused)."""
    return until is not None and until > bail_limit(start, extensions)


def offence_dates(offences: Sequence[Mapping[str, Any]]) -> dict[str, date]:
    """Each offence code with the earliest day it was committed (London date)."""
    found: dict[str, date] = {}
    for o in offences:
        day = workdays.london_date(datetime.fromisoformat(o["occurred_at"]))
        found[o["code"]] = min(day, found.get(o["code"], day))
    return found


def time_limits(offences: Sequence[Mapping[str, Any]], statement: datetime | None) -> list[legal.TimeLimit]:
    """The time limit of each summary-only offence reported (MCA 1980 s127; CJA 1988 s39A)."""
    statement_on = workdays.london_date(statement) if statement else None
    limits = (legal.summary_time_limit(code, day, statement_on) for code, day in offence_dates(offences).items())
    return [limit for limit in limits if limit is not None]


def check_offences(offences: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Problems with reported offences: conduct before an offence existed cannot be that offence."""
    problems: list[tuple[str, str]] = []
    for i, o in enumerate(offences):
        start = legal.before_commencement(o["code"], workdays.london_date(o["occurred_at"]))
        if start is not None:
            problems.append(
                (
                    f"offences.{i}.occurred_at",
                    f"{o['code'].replace('_', ' ')} is an offence only from {start.isoformat()}",
                )
            )
    return problems


def require_status(status: str, allowed: frozenset[str], action: str) -> None:
    """Refuse a transition that the case's status does not allow (409 saying why)."""
    if status not in allowed:
        raise Conflict(f"cannot {action}: the case is {status.replace('_', ' ')}")


def check_closure(code: str, reason: str | None) -> None:
    """Only Home Office outcome codes; outcome 21 for a DA case needs an explicit reason."""
    if code not in OUTCOME_CODES:
        raise Invalid("not a Home Office outcome code", field="outcome_code")
    if code == "21" and not (reason and reason.strip()):
        raise Invalid("outcome 21 is not normally used for domestic abuse: give the reason", field="reason")


def bail_problems(kind: str, conditions: Sequence[str], until: date | None, decided_on: date) -> list[tuple[str, str]]:
    """Release under investigation carries no conditions (PCSCA 2022); bail cannot end before the day it
    is decided (a date before the decision is a typing error, not a decision)."""
    problems: list[tuple[str, str]] = []
    if kind == "released_under_investigation" and conditions:
        problems.append(("conditions", "release under investigation has no conditions"))
    if until is not None and until < decided_on:
        problems.append(("until", "bail cannot end before the day it is decided"))
    return problems


def bail_record(
    previous: Mapping[str, Any] | None,
    kind: str,
    conditions: Sequence[str],
    until: date | None,
    arrested_on: date | None,
    decided_at: datetime,
) -> dict[str, Any]:
    """The bail decision as recorded: its start, extensions and authorised period (pre-charge bail only)."""
    start = bail_start(arrested_on, workdays.london_date(decided_at))
    extensions = bail_extensions(previous or {}, until)
    pre_charge = kind == "pre_charge_bail"
    return {
        "kind": kind,
        "conditions": list(conditions),
        "until": until.isoformat() if until else None,
        "decided_at": decided_at.isoformat(),
        "bail_start": start.isoformat() if pre_charge else None,
        "extensions": extensions,
        "authorised_until": bail_limit(start, extensions).isoformat() if pre_charge else None,
        "authorised_period_exceeded": pre_charge and bail_exceeds_authority(start, until, extensions),
    }


ORDER_FOR_NOTICE = {"DVPO": "DVPN", "DAPO": "DAPN"}
"""The notice an order follows: a DVPO follows a DVPN, a DAPO a DAPN."""


def open_notice(protective: Sequence[dict[str, Any]], order_kind: str) -> dict[str, Any]:
    """The latest notice still waiting for the order of ``order_kind`` (409 when there is none)."""
    notice_for = ORDER_FOR_NOTICE[order_kind]
    notices = [n for n in protective if n["kind"] == notice_for and n["order"] is None]
    if not notices:
        raise Conflict(f"a {order_kind} needs an open {notice_for} first")
    return notices[-1]


def dvpo_deadline(issued_at: datetime) -> datetime:
    """The DVPO/DAPO hearing must begin within 48 hours of the notice, Sundays, Christmas Day,
    Good Friday and bank holidays disregarded (CSA 2010 s27(3)-(4); DA Act 2021 s29(2)-(3))."""
    deadline: datetime = legal.protective_hearing_deadline(issued_at)
    return deadline


DVPO_DAYS = (14, 28)
"""A DVPO is in force for 14 to 28 days from the day it is made (CSA 2010 s28(10))."""


def order_problems(kind: str, granted: bool, made_on: date, until: date | None) -> list[tuple[str, str]]:
    """A granted DVPO needs its end date, 14 to 28 days after the day it is made; a refused order has none."""
    if not granted:
        return [("until", "a refused order has no end date")] if until is not None else []
    if kind != "DVPO":
        return []
    if until is None:
        return [("until", "a DVPO needs its end date (14 to 28 days after it is made)")]
    low, high = DVPO_DAYS
    if not low <= (until - made_on).days <= high:
        return [("until", f"a DVPO lasts {low} to {high} days from the day it is made (CSA 2010 s28(10))")]
    return []
