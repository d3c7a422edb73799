"""Read side: the police view of a case, the force's case list and the referral audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from wja_intake.adapters.repository import Repository
from wja_intake.domain import model
from wja_intake.domain.model import Case


async def case_view(conn: asyncpg.Connection, urn: str) -> dict[str, Any]:
    case = await Repository(conn).get(urn)
    return {
        "urn": urn,
        "status": case.status,
        "force_code": case.force_code,
        "risk_level": case.risk["level"],
        "risk": {k: case.risk[k] for k in ("tool", "version", "score", "level", "marac")},
        "victim_ref": case.victim_ref,
        "referral_basis": case.referral_basis,
        "consent_withdrawn": case.consent_withdrawn,
        "victim_support": case.victim_support,
        "offences": case.offences,
        "suspect": case.suspect,
        "reported_at": _iso(case.reported_at),
        "arrested_at": _iso(case.arrested_at),
        "interviewed_at": _iso(case.interviewed_at),
        "first_statement_at": _iso(case.first_statement_at),
        "bail": case.bail,
        "protective": case.protective,
        "clocks": clocks(case),
        "action_plan": case.action_plan,
        "cps_decision": case.cps_decision,
        "closure": case.closure,
        "idva_assigned": case.assigned_idva is not None,
    }


def clocks(case: Case) -> dict[str, Any]:
    """Bail, the protective-order hearing and the time limit of each summary-only offence."""
    bail = case.bail or {}
    limits = model.time_limits(case.offences, case.first_statement_at)
    common_assault = next((t.last_day for t in limits if t.offence_code == "common_assault"), None)
    return {
        "bail_expires": bail.get("until"),
        "bail_authorised_period_exceeded": bail.get("authorised_period_exceeded", False),
        "dvpo_hearing_by": [n["order_hearing_by"] for n in case.protective if n["order"] is None] or None,
        "time_limits": [
            {"offence_code": t.offence_code, "last_day": t.last_day.isoformat(), "basis": t.basis} for t in limits
        ],
        "s39a_time_limit": common_assault.isoformat() if common_assault else None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def case_list(conn: asyncpg.Connection, force: str | None, status: str | None) -> list[dict[str, Any]]:
    rows = await Repository(conn).case_rows(force, status)
    return [{**r, "reported_at": r["reported_at"].isoformat()} for r in rows]


async def audit_trail(conn: asyncpg.Connection, urn: str) -> list[dict[str, Any]]:
    repo = Repository(conn)
    await repo.get(urn)
    return [{**r, "read_at": r["read_at"].isoformat()} for r in await repo.audit_rows(urn)]
