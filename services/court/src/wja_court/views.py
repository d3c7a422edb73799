"""Read side: a case's hearings, sessions with their listings, the unlisted queue."""

from __future__ import annotations

from typing import Any

import asyncpg
from wja_platform.problems import NotFound
from wja_platform.workdays import london_date


def _hearing(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "hearing_id": r["hearing_id"],
        "urn": r["urn"],
        "type": r["type"],
        "status": r["status"],
        "weight": r["weight"],
        "session_id": r["session_id"],
        "starts_at": r["starts_at"].isoformat() if r["starts_at"] else None,
        "court_code": r["court_code"],
        "result": r["result"],
        "reason_code": r["reason_code"],
        "familiarisation_requested": r["familiarisation"] is not None,
    }


HEARINGS = "SELECT h.*, s.starts_at, s.court_code FROM hearings h LEFT JOIN sessions s USING (session_id)"


async def case_hearings(conn: asyncpg.Connection, urn: str) -> list[dict[str, Any]]:
    if not await conn.fetchval("SELECT 1 FROM cases WHERE urn = $1", urn):
        raise NotFound(f"no court case {urn}")
    rows = await conn.fetch(f"{HEARINGS} WHERE h.urn = $1 ORDER BY h.created_at, h.hearing_id", urn)
    return [_hearing(r) for r in rows]


def _session(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "session_id": r["session_id"],
        "court_code": r["court_code"],
        "starts_at": r["starts_at"].isoformat(),
        "capacity": r["capacity"],
        "used": r["used"],
        "free": r["capacity"] - r["used"],
        "closed": r["closed"],
    }


async def sessions(conn: asyncpg.Connection, court_code: str | None, start: Any, end: Any) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT * FROM sessions WHERE ($1::text IS NULL OR court_code = $1) AND ($2::timestamptz IS NULL OR"
        " starts_at >= $2) AND ($3::timestamptz IS NULL OR starts_at < $3) ORDER BY starts_at, session_id LIMIT 1000",
        court_code,
        start,
        end,
    )
    return [_session(r) for r in rows]


async def session(conn: asyncpg.Connection, session_id: str) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM sessions WHERE session_id = $1", session_id)
    if row is None:
        raise NotFound(f"no session {session_id}")
    hearings = await conn.fetch(f"{HEARINGS} WHERE h.session_id = $1 ORDER BY h.created_at", session_id)
    return {**_session(row), "hearings": [_hearing(h) for h in hearings]}


async def unlisted(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"{HEARINGS} WHERE h.status = 'unlisted' ORDER BY h.created_at")
    return [{**_hearing(r), "target_date": london_date(r["target_at"]).isoformat()} for r in rows]
