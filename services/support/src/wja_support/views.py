"""Read side: caseload, one case, its timeline, obligations, the roster and the contact-read audit.

Reads only (no use case runs here); the access rules are the domain's (``domain.access``), applied by
``Repository.case_for`` as for the use cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from wja_platform.auth import Principal

from wja_support.adapters.repository import Repository, Row
from wja_support.domain import access

VIEWED_CASE = (
    "urn",
    "stage",
    "idva",
    "team",
    "referral_basis",
    "contact_status",
    "contact_attempts",
    "support_closed",
    "victim_ref",
)
"""What ``GET /v1/cases/{urn}`` shows of a case record."""


def _iso(v: datetime | None) -> str | None:
    return v.isoformat().replace("+00:00", "Z") if v else None


def entry_view(e: Row) -> dict[str, Any]:
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
    """The case's stage and entries, read in one snapshot.

    Read one statement after another, a batch of events committed in between gave a stage from before it
    with entries from after it (a loaded machine showed a re-charged case complete and still ``post_trial``).
    """
    repo = Repository(conn)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        case = await repo.case_for(caller, urn)
        rows = await repo.entries(urn)
    entries = []
    for e in rows:
        view = entry_view(e)
        if e["tell_victim_by"] and not e["told_at"]:
            view["overdue"] = e["tell_victim_by"] < now
        entries.append(view)
    return {"urn": urn, "stage": case.stage, "entries": entries}


async def _scope(repo: Repository, caller: Principal) -> tuple[str, str] | None:
    on_roster = caller.role == "idva" and caller.agency == "idva" and await repo.on_roster(caller.sub) is not None
    return access.caseload_scope(caller, on_roster=on_roster)


async def caseload(conn: asyncpg.Connection, caller: Principal, now: datetime) -> list[dict[str, Any]]:
    """The caller's cases; a manager's also lists the referred cases of the team's forces that no IDVA
    serves yet, marked ``needs_idva`` (they are nobody's until a manager assigns them)."""
    repo = Repository(conn)
    scope = await _scope(repo, caller)
    if scope is None:
        return []
    waiting = await repo.team_forces(scope[1]) if scope[0] == "team" else []
    return [_caseload_row(r) for r in await repo.caseload(scope, now, waiting)]


def _caseload_row(r: Row) -> dict[str, Any]:
    shown = {key: r[key] for key in ("urn", "stage", "idva", "contact_status", "support_closed")}
    return {
        **shown,
        "next_deadline": _iso(r["next_deadline"]),
        "overdue": r["overdue"],
        "needs_idva": r["idva"] is None,
    }


async def obligations(
    conn: asyncpg.Connection, caller: Principal, now: datetime, overdue: bool
) -> list[dict[str, Any]]:
    repo = Repository(conn)
    scope = await _scope(repo, caller)
    if scope is None:
        return []
    rows = await repo.untold(scope, now, overdue)
    return [{**entry_view(r), "urn": r["urn"], "overdue": r["tell_victim_by"] < now} for r in rows]


async def obligation_counts(conn: asyncpg.Connection, now: datetime) -> dict[str, tuple[int, int]]:
    """Notices still to give, per duty holder: (not yet given, of which past their deadline)."""
    return await Repository(conn).obligation_counts(now)


async def case_view(conn: asyncpg.Connection, caller: Principal, urn: str) -> dict[str, Any]:
    case = await Repository(conn).case_for(caller, urn)
    return {key: getattr(case, key) for key in VIEWED_CASE}


async def contact_reads(conn: asyncpg.Connection, caller: Principal, urn: str | None) -> list[dict[str, Any]]:
    """The audit trail of reads of contact details, for a manager: the reads of their team's cases."""
    rows = await Repository(conn).contact_reads(access.team_of(caller), urn)
    return [{**r, "read_at": _iso(r["read_at"])} for r in rows]


async def contacted(conn: asyncpg.Connection, urns: list[str]) -> set[str]:
    """Of ``urns``, the cases where a contact with the victim is already recorded (any entry told)."""
    return await Repository(conn).contacted(urns)


async def roster(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """The active IDVAs as the roster holds them."""
    return await Repository(conn).roster_rows()


async def team_roster(conn: asyncpg.Connection, caller: Principal) -> list[str]:
    """The IDVAs a manager may assign their team's cases to (nobody for anyone else)."""
    if caller.agency != "idva" or caller.role != "manager":
        return []
    return [i.sub for i in await Repository(conn).roster() if i.team == access.team_of(caller)]
