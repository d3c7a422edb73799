"""Police rules: URNs, risk bands, case status transitions, bail and protective-order clocks."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from wja_intake.domain.errors import IllegalTransition, Invalid

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
        raise IllegalTransition(msg)
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


def bail_exceeds_authority(decided: date, until: date | None, extensions: int = 0) -> bool:
    """True when ``until`` lies past the period the authorising rank may grant."""
    if until is None:
        return False
    months = BAIL_PERIOD_MONTHS[min(extensions, len(BAIL_PERIOD_MONTHS) - 1)]
    return until > decided + relativedelta(months=months)


def s39a_limit(offences: list[dict], reported_at: datetime) -> date | None:
    """Common assault (DA): within 6 months of the victim's statement and within 2 years of the offence."""
    times = [datetime.fromisoformat(o["occurred_at"]) for o in offences if o["code"] == "common_assault"]
    if not times:
        return None
    return min(reported_at.date() + relativedelta(months=6), min(times).date() + relativedelta(months=24))


def require_status(status: str, allowed: tuple[str, ...], action: str) -> None:
    """Refuse a transition that the case's status does not allow (409 saying why)."""
    if status not in allowed:
        raise IllegalTransition(f"cannot {action}: the case is {status.replace('_', ' ')}")


def check_closure(code: str, reason: str | None) -> None:
    """Only Home Office outcome codes; outcome 21 for a DA case needs an explicit reason."""
    if code not in OUTCOME_CODES:
        raise Invalid("not a Home Office outcome code", field="outcome_code")
    if code == "21" and not (reason and reason.strip()):
        raise Invalid("outcome 21 is not normally used for domestic abuse: give the reason", field="reason")


def dvpo_deadline(issued_at: datetime) -> datetime:
    """A DVPO hearing must take place within 48 hours of the notice."""
    return issued_at + timedelta(hours=48)
