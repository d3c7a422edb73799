"""Police rules: URNs, risk bands, case status transitions, bail and protective-order clocks."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta

from wja_platform import legal, workdays
from wja_platform.problems import Conflict, Invalid

STATUSES = (
    "reported",
    "under_investigation",
    "awaiting_charging_decision",
    "further_material_required",
    "charged",
    "awaiting_closure",
    "closed",
)
OPEN = STATUSES[:-1]
"""Every status but closed."""
OUTCOME_CODES = {"1", "1A", *(str(n) for n in range(2, 23))}
BAIL_PERIOD_MONTHS = (3, 6, 9)
"""Pre-charge bail: initial 3 months (custody officer), 6 (inspector), 9 (superintendent), then court."""


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
    return legal.period_end(start, months)


def bail_extensions(previous: dict, until: date | None) -> int:
    """How many times pre-charge bail has been extended: a re-recorded bail counts only when it extends."""
    if previous.get("kind") != "pre_charge_bail":
        return 0
    before = previous.get("extensions", 0)
    earlier = date.fromisoformat(previous["until"]) if previous.get("until") else None
    return before + 1 if until is not None and earlier is not None and until > earlier else before


def bail_exceeds_authority(start: date, until: date | None, extensions: int = 0) -> bool:
    """True when ``until`` lies past the period the authorising rank may grant (flagged, not refused)."""
    return until is not None and until > bail_limit(start, extensions)


def offence_dates(offences: list[dict]) -> dict[str, date]:
    """Each offence code with the earliest day it was committed (London date)."""
    found: dict[str, date] = {}
    for o in offences:
        day = workdays.london_date(datetime.fromisoformat(o["occurred_at"]))
        found[o["code"]] = min(day, found.get(o["code"], day))
    return found


def time_limits(offences: list[dict], statement_at: datetime | None) -> list[legal.TimeLimit]:
    """The time limit of each summary-only offence reported (MCA 1980 s127; CJA 1988 s39A)."""
    statement_on = workdays.london_date(statement_at) if statement_at else None
    limits = (legal.summary_time_limit(code, day, statement_on) for code, day in offence_dates(offences).items())
    return [limit for limit in limits if limit is not None]


def check_offences(offences: list[dict]) -> list[tuple[str, str]]:
    """Problems with reported offences: conduct before an offence existed cannot be that offence."""
    problems = []
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


def require_status(status: str, allowed: tuple[str, ...], action: str) -> None:
    """Refuse a transition that the case's status does not allow (409 saying why)."""
    if status not in allowed:
        raise Conflict(f"cannot {action}: the case is {status.replace('_', ' ')}")


def check_closure(code: str, reason: str | None) -> None:
    """Only Home Office outcome codes; outcome 21 for a DA case needs an explicit reason."""
    if code not in OUTCOME_CODES:
        raise Invalid("not a Home Office outcome code", field="outcome_code")
    if code == "21" and not (reason and reason.strip()):
        raise Invalid("outcome 21 is not normally used for domestic abuse: give the reason", field="reason")


def dvpo_deadline(issued_at: datetime) -> datetime:
    """The DVPO/DAPO hearing must begin within 48 hours of the notice, Sundays, Christmas Day,
    Good Friday and bank holidays disregarded (CSA 2010 s27(3)-(4); DA Act 2021 s29(2)-(3))."""
    return legal.protective_hearing_deadline(issued_at)


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
