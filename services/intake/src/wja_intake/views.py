"""Read side: the police view of a case and the force's case list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from wja_intake.adapters import repository as repo
from wja_intake.domain import model


async def case_view(conn: asyncpg.Connection, urn: str) -> dict[str, Any]:
    case = await repo.get_case(conn, urn)
    bail = case["bail"] or {}
    clocks: dict[str, Any] = {
        "bail_expires": bail.get("until"),
        "bail_authorised_period_exceeded": bail.get("authorised_period_exceeded", False),
        "dvpo_hearing_by": [n["order_hearing_by"] for n in case["protective"] if n["order"] is None] or None,
    }
    limits = model.time_limits(case["offences"], case["first_statement_at"])
    clocks["time_limits"] = [
        {"offence_code": t.offence_code, "last_day": t.last_day.isoformat(), "basis": t.basis} for t in limits
    ]
    common_assault = next((t.last_day for t in limits if t.offence_code == "common_assault"), None)
    clocks["s39a_time_limit"] = common_assault.isoformat() if common_assault else None
    return {
        "urn": urn,
        "status": case["status"],
        "force_code": case["force_code"],
        "risk_level": case["risk"]["level"],
        "risk": {k: case["risk"][k] for k in ("tool", "version", "score", "level", "marac")},
        "victim_ref": case["victim_ref"],
        "referral_basis": case["referral_basis"],
        "consent_withdrawn": case["consent_withdrawn"],
        "victim_support": case["victim_support"],
        "offences": case["offences"],
        "suspect": case["suspect"],
        "reported_at": _iso(case["reported_at"]),
        "arrested_at": _iso(case["arrested_at"]),
        "interviewed_at": _iso(case["interviewed_at"]),
        "first_statement_at": _iso(case["first_statement_at"]),
        "bail": case["bail"],
        "protective": case["protective"],
        "clocks": clocks,
        "action_plan": case["action_plan"],
        "cps_decision": case["cps_decision"],
        "closure": case["closure"],
        "idva_assigned": case["assigned_idva"] is not None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def case_list(conn: asyncpg.Connection, force: str | None, status: str | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT urn, status, force_code, risk->>'level' AS risk_level, reported_at FROM cases"
        " WHERE ($1::text IS NULL OR force_code = $1) AND ($2::text IS NULL OR status = $2)"
        " ORDER BY reported_at DESC LIMIT 500",
        force,
        status,
    )
    return [{**dict(r), "reported_at": r["reported_at"].isoformat()} for r in rows]


async def audit_trail(conn: asyncpg.Connection, urn: str) -> list[dict[str, Any]]:
    await repo.get_case(conn, urn)
    rows = await conn.fetch(
        "SELECT id, sub, agency, role, purpose, outcome, read_at FROM referral_audit WHERE urn = $1 ORDER BY id",
        urn,
    )
    return [{**dict(r), "read_at": r["read_at"].isoformat()} for r in rows]
