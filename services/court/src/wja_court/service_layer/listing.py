"""Finding a slot: the earliest open session of a serving court with free capacity on or after a date.

Capacity is taken under a row lock, so two cases racing for the last slot cannot both win:
the loser re-reads and takes the next slot, or waits unlisted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg
from wja_platform import outbox
from wja_platform.workdays import london_date
from wja_schemas import court as ev
from wja_schemas import new_envelope

from wja_court.domain import model


class Listing:
    """Listing with the configured rules and force → courts map."""

    def __init__(self, rules: model.ListingRules, force_courts: dict[str, list[str]]) -> None:
        self.rules = rules
        self.force_courts = force_courts

    async def take_slot(
        self,
        conn: asyncpg.Connection,
        force: str | None,
        target: date,
        weight: int,
        now: datetime,
    ) -> asyncpg.Record | None:
        """The earliest open session from the target London date (any sitting that day, none already begun)
        with at least ``weight`` free units, its units taken."""
        courts = self.force_courts.get(force or "", []) if self.force_courts else None
        start = model.earliest_sitting(target, now)
        for _ in range(5):
            row = await conn.fetchrow(
                "SELECT * FROM sessions WHERE NOT closed AND starts_at >= $1 AND capacity - used >= $2"
                " AND ($3::text[] IS NULL OR court_code = ANY($3)) ORDER BY starts_at, session_id LIMIT 1"
                " FOR UPDATE",
                start,
                weight,
                courts,
            )
            if row is not None and row["capacity"] - row["used"] >= weight:
                await conn.execute(
                    "UPDATE sessions SET used = used + $2 WHERE session_id = $1",
                    row["session_id"],
                    weight,
                )
                return row
            if row is None and not await self._maybe_raced(conn, start, weight, courts):
                return None
        return None

    async def _maybe_raced(self, conn: asyncpg.Connection, start: datetime, weight: int, courts: Any) -> bool:
        """After losing a race the locked row may be filtered out: look once more with fresh eyes."""
        return bool(
            await conn.fetchval(
                "SELECT 1 FROM sessions WHERE NOT closed AND starts_at >= $1 AND capacity - used >= $2"
                " AND ($3::text[] IS NULL OR court_code = ANY($3)) LIMIT 1",
                start,
                weight,
                courts,
            )
        )

    async def new_hearing(
        self,
        conn: asyncpg.Connection,
        case: dict[str, Any],
        kind: str,
        target: date,
        now: datetime,
        causationid: str | None = None,
    ) -> dict[str, Any]:
        """Create a hearing and list it, or leave it unlisted (visible in the queue).

        ``target_at`` stores the start (London midnight) of the target date."""
        weight = self.rules.weight(kind)
        hearing_id = f"h-{uuid.uuid4().hex[:12]}"
        await conn.execute(
            "INSERT INTO hearings (hearing_id, urn, type, status, weight, target_at)"
            " VALUES ($1,$2,$3,'unlisted',$4,$5)",
            hearing_id,
            case["urn"],
            kind,
            weight,
            model.day_start(target),
        )
        hearing = {
            "hearing_id": hearing_id,
            "urn": case["urn"],
            "type": kind,
            "weight": weight,
            "target": target,
        }
        if not await self.list_hearing(conn, hearing, case, now, causationid):
            await outbox.add(
                conn,
                new_envelope(
                    ev.HearingUnlisted(urn=case["urn"], hearing_id=hearing_id, type=kind, target_date=target),
                    causationid=causationid,
                ),
            )
        return hearing

    async def list_hearing(
        self,
        conn: asyncpg.Connection,
        hearing: dict[str, Any],
        case: dict[str, Any],
        now: datetime,
        causationid: str | None = None,
    ) -> bool:
        target = hearing.get("target") or london_date(hearing["target_at"])
        session = await self.take_slot(conn, case.get("force_code"), target, hearing["weight"], now)
        if session is None:
            return False
        await conn.execute(
            "UPDATE hearings SET status = 'listed', session_id = $2 WHERE hearing_id = $1",
            hearing["hearing_id"],
            session["session_id"],
        )
        await outbox.add(
            conn,
            new_envelope(
                ev.HearingListed(
                    urn=case["urn"],
                    hearing_id=hearing["hearing_id"],
                    type=hearing["type"],
                    session_id=session["session_id"],
                    court_code=session["court_code"],
                    starts_at=session["starts_at"],
                    listed_at=now,
                ),
                causationid=causationid,
            ),
        )
        return True

    async def list_waiting(self, conn: asyncpg.Connection, now: datetime) -> int:
        """List unlisted hearings now that capacity appeared: remand and high risk first."""
        rows = await conn.fetch(
            "SELECT h.*, c.force_code, c.remanded, c.risk_level FROM hearings h JOIN cases c USING (urn)"
            " WHERE h.status = 'unlisted' ORDER BY h.created_at, h.hearing_id FOR UPDATE OF h"
        )
        ordered = sorted(rows, key=lambda r: (*model.priority(r["remanded"], r["risk_level"]), r["created_at"]))
        listed = 0
        for row in ordered:
            case = {"urn": row["urn"], "force_code": row["force_code"]}
            if await self.list_hearing(conn, dict(row), case, now):
                listed += 1
        return listed
