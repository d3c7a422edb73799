"""Read side: the decision queue and one file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from wja_platform import workdays

from wja_charging.adapters import repository as repo
from wja_charging.domain import model
from wja_charging.domain.model import RISK_ORDER

QUEUE_STATUS = {
    "awaiting_decision": ("awaiting_decision",),
    "further_material_required": ("further_material_required",),
    "decided": ("decided", "finalised"),
}


def _file(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "urn": row["urn"],
        "status": row["status"],
        "force_code": row["force_code"],
        "risk_level": row["risk_level"],
        "received_at": row["received_at"].isoformat(),
        "age_days": (now - row["received_at"]).days,
        "due_date": row["due_date"].isoformat() if row["due_date"] else None,
        "review_by": row["review_by"].isoformat() if row["review_by"] else None,
        "offence_codes": row["offence_codes"],
        "evidence": row["evidence"],
        "requested_test": row["requested_test"],
        "anticipated_plea": row["anticipated_plea"],
        "remanded": row["remanded"],
        "last_decision": row["last_decision"],
        "days_to_decision": row["days_to_decision"],
        "discontinued": row["discontinued_at"] is not None,
        "time_limits": [
            {"offence_code": t.offence_code, "last_day": t.last_day.isoformat(), "basis": t.basis}
            for t in model.time_limits(
                [{"offence_code": c} for c in row["offence_codes"]],
                model.offence_dates(row["offences_occurred_at"]),
                workdays.london_date(row["first_statement_at"]) if row["first_statement_at"] else None,
            )
        ],
    }


async def queue(conn: asyncpg.Connection, status: str, now: datetime) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM files WHERE status = ANY($1::text[])", list(QUEUE_STATUS[status]))
    files = [_file(dict(r), now) for r in rows]
    return sorted(files, key=lambda f: (RISK_ORDER.get(f["risk_level"], 3), -f["age_days"], f["received_at"]))


async def file_view(conn: asyncpg.Connection, urn: str, now: datetime) -> dict[str, Any]:
    view = _file(await repo.get_file(conn, urn), now)
    reviews = await conn.fetch(
        "SELECT review_id, decision_type, requested_at, late, outcome, decided_at FROM reviews"
        " WHERE urn = $1 ORDER BY requested_at",
        urn,
    )
    view["reviews"] = [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(r).items()} for r in reviews
    ]
    return view
