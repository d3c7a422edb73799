"""Read side: caseload, one case, its timeline, obligations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from wja_platform.auth import Principal
from wja_platform.problems import Forbidden

from wja_support.adapters import repository as repo
from wja_support.service_layer.handlers import case_for, team_of


def _iso(v: datetime | None) -> str | None:
    return v.isoformat().replace("+00:00", "Z") if v else None


def entry_view(e: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": e["id"],
        "at": _iso(e["at"]),
        "agency": e["agency"],
        "event_type": e["event_type"],
        "summary": e["summary"],
    }
    if e["duty_holder"]:
        out.update(duty_holder=e["duty_holder"], tell_victim_by=_iso(e["tell_victim_by"]))
        if e["steps"] and len(e["steps"]) > 1:
            out["steps"] = e["steps"]
    if e["duty_holder"] or e["told_at"]:
        out.update(told_at=_iso(e["told_at"]), told_by=e["told_by"], channel=e["channel"])
    return out


async def timeline(conn: asyncpg.Connection, caller: Principal, urn: str, now: datetime) -> dict[str, Any]:
    case = await case_for(conn, caller, urn)
    entries = []
    for e in await repo.entries(conn, urn):
        view = entry_view(e)
        if e["tell_victim_by"] and not e["told_at"]:
            view["overdue"] = e["tell_victim_by"] < now
        entries.append(view)
    return {"urn": urn, "stage": case["stage"], "entries": entries}


async def _scope(conn: asyncpg.Connection, caller: Principal) -> tuple[str, str] | None:
    if caller.agency != "idva" or caller.role not in ("idva", "manager", "service"):
        raise Forbidden("only IDVAs and their managers have a caseload")
    if caller.role == "service":
        return None  # a machine caller (journey.md: "idva" admits it) has no cases of its own
    if caller.role == "manager":
        return "team", team_of(caller)
    if await repo.on_roster(conn, caller.sub) is None:
        return None  # not on the roster: sees nothing
    return "idva", caller.sub


async def caseload(conn: asyncpg.Connection, caller: Principal, now: datetime) -> list[dict[str, Any]]:
    """The caller's cases; a manager's also lists the referred cases of the team's forces that no IDVA
    serves yet, marked ``needs_idva`` (they are nobody's until a manager assigns them)."""
    scope = await _scope(conn, caller)
    if scope is None:
        return []
    waiting = await repo.team_forces(conn, scope[1]) if scope[0] == "team" else []
    rows = await conn.fetch(
        f"SELECT c.urn, c.stage, c.idva, c.contact_status, c.support_closed,"
        f" min(e.tell_victim_by) FILTER (WHERE e.told_at IS NULL) AS next_deadline,"
        f" count(*) FILTER (WHERE e.told_at IS NULL AND e.tell_victim_by < $2) AS overdue"
        f" FROM cases c LEFT JOIN entries e USING (urn) WHERE c.{scope[0]} = $1"
        f" OR (c.idva IS NULL AND c.referral_basis IS NOT NULL AND c.force_code = ANY($3::text[]))"
        f" GROUP BY c.urn ORDER BY c.idva NULLS FIRST, next_deadline NULLS LAST, c.urn",
        scope[1],
        now,
        waiting,
    )
    return [
        {
            "urn": r["urn"],
            "stage": r["stage"],
            "idva": r["idva"],
            "contact_status": r["contact_status"],
            "support_closed": r["support_closed"],
            "next_deadline": _iso(r["next_deadline"]),
            "overdue": r["overdue"],
            "needs_idva": r["idva"] is None,
        }
        for r in rows
    ]


async def obligations(
    conn: asyncpg.Connection, caller: Principal, now: datetime, overdue: bool
) -> list[dict[str, Any]]:
    scope = await _scope(conn, caller)
    if scope is None:
        return []
    rows = await conn.fetch(
        f"SELECT e.* FROM entries e JOIN cases c USING (urn) WHERE c.{scope[0]} = $1 AND e.tell_victim_by IS NOT NULL"
        f" AND e.told_at IS NULL AND (NOT $3 OR e.tell_victim_by < $2) ORDER BY e.tell_victim_by",
        scope[1],
        now,
        overdue,
    )
    return [{**entry_view(dict(r)), "urn": r["urn"], "overdue": r["tell_victim_by"] < now} for r in rows]


async def obligation_counts(conn: asyncpg.Connection, now: datetime) -> dict[str, tuple[int, int]]:
    """Notices still to give, per duty holder: (not yet given, of which past their deadline)."""
    rows = await conn.fetch(
        "SELECT duty_holder, count(*) AS due, count(*) FILTER (WHERE tell_victim_by < $1) AS overdue"
        " FROM entries WHERE told_at IS NULL AND tell_victim_by IS NOT NULL GROUP BY duty_holder",
        now,
    )
    return {r["duty_holder"]: (int(r["due"]), int(r["overdue"])) for r in rows}


async def case_view(conn: asyncpg.Connection, caller: Principal, urn: str) -> dict[str, Any]:
    case = await case_for(conn, caller, urn)
    return {
        "urn": urn,
        "stage": case["stage"],
        "idva": case["idva"],
        "team": case["team"],
        "referral_basis": case["referral_basis"],
        "contact_status": case["contact_status"],
        "contact_attempts": case["contact_attempts"],
        "support_closed": case["support_closed"],
        "victim_ref": case["victim_ref"],
    }


async def contact_reads(conn: asyncpg.Connection, caller: Principal, urn: str | None) -> list[dict[str, Any]]:
    """The audit trail of reads of contact details, for a manager: the reads of their team's cases."""
    rows = await conn.fetch(
        "SELECT a.id, a.urn, a.sub, a.agency, a.role, a.purpose, a.outcome, a.read_at FROM contact_read_audit a"
        " JOIN cases c USING (urn) WHERE c.team = $1 AND ($2::text IS NULL OR a.urn = $2) ORDER BY a.id",
        team_of(caller),
        urn,
    )
    return [{**dict(r), "read_at": _iso(r["read_at"])} for r in rows]


async def contacted(conn: asyncpg.Connection, urns: list[str]) -> set[str]:
    """Of ``urns``, the cases where a contact with the victim is already recorded (any entry told)."""
    rows = await conn.fetch(
        "SELECT DISTINCT urn FROM entries WHERE urn = ANY($1::text[]) AND told_at IS NOT NULL", urns
    )
    return {r["urn"] for r in rows}


async def team_roster(conn: asyncpg.Connection, caller: Principal) -> list[str]:
    """The IDVAs a manager may assign their team's cases to (nobody for anyone else)."""
    if caller.agency != "idva" or caller.role != "manager":
        return []
    return [i["sub"] for i in await repo.roster(conn) if i["team"] == team_of(caller)]
