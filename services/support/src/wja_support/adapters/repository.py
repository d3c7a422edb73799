"""SQL for support's tables (asyncpg)."""

from __future__ import annotations

from typing import Any

import asyncpg
from wja_platform import db
from wja_platform.problems import NotFound


async def ensure_case(conn: asyncpg.Connection, urn: str) -> dict[str, Any]:
    """The case row, created on first sight of any event (events may arrive in any order)."""
    row = await conn.fetchrow(
        "INSERT INTO cases (urn) VALUES ($1) ON CONFLICT (urn) DO UPDATE SET urn = EXCLUDED.urn RETURNING *",
        urn,
    )
    return dict(row)


async def get_case(conn: asyncpg.Connection, urn: str, *, lock: bool = False) -> dict[str, Any]:
    row = await conn.fetchrow(f"SELECT * FROM cases WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
    if row is None:
        raise NotFound(f"no case {urn}")
    return dict(row)


async def update_case(conn: asyncpg.Connection, urn: str, **changes: Any) -> None:
    await db.update_row(conn, "cases", "urn", urn, changes)


async def add_entry(conn: asyncpg.Connection, entry: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO entries (id, urn, at, agency, event_type, summary, duty_holder, tell_victim_by, steps)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (id) DO NOTHING",
        entry["id"],
        entry["urn"],
        entry["at"],
        entry["agency"],
        entry["event_type"],
        entry["summary"],
        entry.get("duty_holder"),
        entry.get("tell_victim_by"),
        entry.get("steps"),
    )


async def entries(conn: asyncpg.Connection, urn: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM entries WHERE urn = $1 ORDER BY at, seq", urn)
    return [dict(r) for r in rows]


async def roster(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch("SELECT * FROM roster WHERE active ORDER BY sub")]


async def on_roster(conn: asyncpg.Connection, sub: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM roster WHERE sub = $1 AND active", sub)
    return dict(row) if row else None


async def team_forces(conn: asyncpg.Connection, team: str) -> list[str]:
    """The forces the active IDVAs of ``team`` serve (a manager's reach for cases still without an IDVA)."""
    rows = await conn.fetch(
        "SELECT DISTINCT f FROM roster, jsonb_array_elements_text(forces) AS f WHERE team = $1 AND active ORDER BY f",
        team,
    )
    return [r["f"] for r in rows]


async def upsert_idva(conn: asyncpg.Connection, sub: str, team: str, forces: list[str]) -> None:
    await conn.execute(
        "INSERT INTO roster (sub, team, forces) VALUES ($1,$2,$3) ON CONFLICT (sub) DO UPDATE"
        " SET team = EXCLUDED.team, forces = EXCLUDED.forces, active = true",
        sub,
        team,
        forces,
    )


async def open_caseloads(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT idva, count(*) AS n FROM cases WHERE idva IS NOT NULL AND stage <> 'closed'"
        " AND NOT support_closed GROUP BY idva"
    )
    return {r["idva"]: r["n"] for r in rows}


async def audit_contact_read(
    conn: asyncpg.Connection, urn: str, caller: Any, purpose: str, outcome: str, at: Any
) -> None:
    """Append one read of the decrypted contact details to the audit trail (append-only table)."""
    await conn.execute(
        "INSERT INTO contact_read_audit (urn, sub, agency, role, team, purpose, outcome, read_at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        urn,
        caller.sub,
        caller.agency,
        caller.role,
        caller.team,
        purpose,
        outcome,
        at,
    )
