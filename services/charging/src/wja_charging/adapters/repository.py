"""SQL for the CPS tables (asyncpg)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from wja_platform import db
from wja_platform.problems import NotFound


async def find_file(conn: asyncpg.Connection, urn: str, *, lock: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT * FROM files WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
    return dict(row) if row else None


async def get_file(conn: asyncpg.Connection, urn: str, *, lock: bool = False) -> dict[str, Any]:
    file = await find_file(conn, urn, lock=lock)
    if file is None:
        raise NotFound(f"no charging file for {urn}")
    return file


async def update_file(conn: asyncpg.Connection, urn: str, **changes: Any) -> None:
    await db.update_row(conn, "files", "urn", urn, changes)


async def insert_file(conn: asyncpg.Connection, file: dict[str, Any]) -> None:
    await db.insert_row(conn, "files", file)


async def insert_decision(conn: asyncpg.Connection, urn: str, body: dict[str, Any], prosecutor: str, at: Any) -> None:
    await conn.execute(
        "INSERT INTO decisions (urn, decision, test, basis, charges, due_date, bail_risk_justification, reason,"
        " prosecutor, decided_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        urn,
        body["decision"],
        body["test"],
        body.get("basis"),
        body.get("charges", []),
        body.get("due_date"),
        body.get("bail_risk_justification"),
        body["reason"],
        prosecutor,
        at,
    )


async def overdue_action_plans(conn: asyncpg.Connection, today: Any) -> list[str]:
    rows = await conn.fetch(
        "SELECT urn FROM files WHERE status = 'further_material_required' AND due_date < $1 FOR UPDATE SKIP LOCKED",
        today,
    )
    return [r["urn"] for r in rows]


async def record_assignment(conn: asyncpg.Connection, urn: str, idva: str, team: str, at: datetime) -> None:
    """Keep the latest IDVA assignment of a case (a replayed older one does not undo a newer)."""
    await conn.execute(
        "INSERT INTO idva_assignments (urn, idva, team, assigned_at) VALUES ($1,$2,$3,$4)"
        " ON CONFLICT (urn) DO UPDATE SET idva = EXCLUDED.idva, team = EXCLUDED.team,"
        " assigned_at = EXCLUDED.assigned_at WHERE idva_assignments.assigned_at <= EXCLUDED.assigned_at",
        urn,
        idva,
        team,
        at,
    )


async def assignment(conn: asyncpg.Connection, urn: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT idva, team FROM idva_assignments WHERE urn = $1", urn)
    return dict(row) if row else None
