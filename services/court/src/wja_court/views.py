"""Read side: a case's hearings, sessions with their listings, the unlisted queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from wja_platform.problems import NotFound
from wja_platform.uow import read

from wja_court.adapters.repository import Repository
from wja_court.domain.model import Hearing, Session

READ = "court.read"
"""The span of a read view: one for the whole read, not one per statement."""


def _hearing(h: Hearing) -> dict[str, Any]:
    return {
        "hearing_id": h.hearing_id,
        "urn": h.urn,
        "type": h.type,
        "status": h.status,
        "weight": h.weight,
        "session_id": h.session_id,
        "starts_at": h.starts_at.isoformat() if h.starts_at else None,
        "court_code": h.court_code,
        "result": h.result,
        "reason_code": h.reason_code,
        "familiarisation_requested": h.familiarisation_requested,
    }


def _session(s: Session) -> dict[str, Any]:
    return {
        "session_id": s.session_id,
        "court_code": s.court_code,
        "starts_at": s.starts_at.isoformat(),
        "capacity": s.capacity,
        "used": s.used,
        "free": s.free,
        "closed": s.closed,
    }


async def case_hearings(pool: asyncpg.Pool, urn: str) -> list[dict[str, Any]]:
    async with read(pool, READ) as conn:
        repo = Repository(conn)
        hearings = await repo.case_hearings(urn)
        if not hearings and not await repo.case_exists(urn):  # a hearing is always of a case: one query, not two
            raise NotFound(f"no court case {urn}")
        return [_hearing(h) for h in hearings]


async def sessions(
    pool: asyncpg.Pool, court_code: str | None, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    async with read(pool, READ) as conn:
        return [_session(s) for s in await Repository(conn).sessions(court_code, start, end)]


async def session(pool: asyncpg.Pool, session_id: str) -> dict[str, Any]:
    async with read(pool, READ) as conn:
        repo = Repository(conn)
        found = await repo.get_session(session_id, lock=False)
        if found is None:
            raise NotFound(f"no session {session_id}")
        return {**_session(found), "hearings": [_hearing(h) for h in await repo.session_hearings(session_id)]}


async def unlisted(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    async with read(pool, READ) as conn:
        hearings = await Repository(conn).unlisted()
    return [{**_hearing(h), "target_date": h.target.isoformat()} for h in hearings]
