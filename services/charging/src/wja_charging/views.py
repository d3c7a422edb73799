"""Read side: the decision queue and one file (through the repository; no use case runs here)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from wja_charging.adapters.repository import Repository
from wja_charging.domain import model
from wja_charging.domain.model import RISK_ORDER

QUEUE_STATUS = {
    "awaiting_decision": ("awaiting_decision",),
    "further_material_required": ("further_material_required",),
    "decided": ("decided", "finalised"),
}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _file(file: model.File, now: datetime) -> dict[str, Any]:
    s = file.submission
    return {
        "urn": file.urn,
        "status": file.status,
        "force_code": s.force_code,
        "risk_level": s.risk_level,
        "received_at": file.received_at.isoformat(),
        "age_days": (now - file.received_at).days,
        "due_date": _iso(file.due_date),
        "review_by": _iso(file.review_by),
        "offence_codes": s.offence_codes,
        "evidence": s.evidence,
        "requested_test": s.requested_test,
        "anticipated_plea": s.anticipated_plea,
        "remanded": s.remanded,
        "last_decision": file.last_decision.as_json() if file.last_decision else None,
        "days_to_decision": file.days_to_decision,
        "discontinued": file.discontinued_at is not None,
        "time_limits": [
            {"offence_code": t.offence_code, "last_day": t.last_day.isoformat(), "basis": t.basis}
            for t in model.time_limits(s.offence_codes, model.offence_dates(s.offences), s.statement_on())
        ],
    }


def _review(review: model.Review) -> dict[str, Any]:
    return {
        "review_id": review.review_id,
        "decision_type": review.decision_type,
        "requested_at": review.requested_at.isoformat(),
        "late": review.late,
        "outcome": review.outcome,
        "decided_at": _iso(review.decided_at),
    }


async def queue(conn: asyncpg.Connection, status: str, now: datetime) -> list[dict[str, Any]]:
    files = [_file(f, now) for f in await Repository(conn).files_with_status(QUEUE_STATUS[status])]
    return sorted(files, key=lambda f: (RISK_ORDER.get(f["risk_level"], 3), -f["age_days"], f["received_at"]))


async def file_view(conn: asyncpg.Connection, urn: str, now: datetime) -> dict[str, Any]:
    repo = Repository(conn)
    view = _file(await repo.get_file(urn), now)
    view["reviews"] = [_review(r) for r in await repo.reviews_of(urn)]
    return view
