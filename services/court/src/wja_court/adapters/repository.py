"""Every SQL statement of the court service: sessions, cases, hearings, special measures, orders.

A :class:`Repository` works on one connection (the unit of work's transaction) and returns the
domain's records. Locking is part of the contract: ``lock=True`` reads take the row lock
(``FOR UPDATE``) the use case needs, and the listing statements keep theirs exactly. A use case that
takes or frees session capacity, or locks hearings, takes :meth:`Repository.hold_listing` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
from wja_platform.workdays import london_date

from wja_court.domain.model import Case, Hearing, MeasuresRequest, Session, Waiting

_HEARINGS = "SELECT h.*, s.starts_at, s.court_code FROM hearings h LEFT JOIN sessions s USING (session_id)"
# Ended at court before the cutoff, no hearing still to come, and no restraining order in force
# or ended after the cutoff (an order "until further order" keeps its case).
_DUE = """
SELECT c.urn FROM cases c
WHERE c.finished_at < $1
  AND NOT EXISTS (SELECT 1 FROM hearings h WHERE h.urn = c.urn AND h.status IN ('listed', 'unlisted'))
  AND NOT EXISTS (
        SELECT 1 FROM restraining_orders o
        WHERE o.urn = c.urn AND (o.until IS NULL OR o.until >= ($1 AT TIME ZONE 'Europe/London')::date))
ORDER BY c.urn LIMIT $2 FOR UPDATE OF c SKIP LOCKED
"""


def _case(r: asyncpg.Record) -> Case:
    return Case(
        urn=r["urn"],
        charged_at=r["charged_at"],
        force_code=r["force_code"],
        risk_level=r["risk_level"],
        remanded=r["remanded"],
        anticipated_plea=r["anticipated_plea"],
        offences=tuple(r["offences"] or ()),
        discontinued=r["discontinued"],
        guilty_plea=r["guilty_plea"],
        not_guilty_plea=r["not_guilty_plea"],
        verdict=r["verdict"],
        sentenced=r["sentence"] is not None,
    )


def _session(r: asyncpg.Record) -> Session:
    return Session(r["session_id"], r["court_code"], r["starts_at"], r["capacity"], r["used"], r["closed"])


def _hearing(r: asyncpg.Record) -> Hearing:
    return Hearing(
        hearing_id=r["hearing_id"],
        urn=r["urn"],
        type=r["type"],
        status=r["status"],
        weight=r["weight"],
        target=london_date(r["target_at"]),
        session_id=r["session_id"],
        starts_at=r.get("starts_at"),
        court_code=r.get("court_code"),
        result=r["result"],
        reason_code=r["reason_code"],
        familiarisation_requested=r["familiarisation"] is not None,
    )


class Repository:
    """The court's tables, over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ sessions
    async def add_session(self, session_id: str, court_code: str, starts_at: datetime, capacity: int) -> None:
        await self.conn.execute(
            "INSERT INTO sessions (session_id, court_code, starts_at, capacity) VALUES ($1,$2,$3,$4)",
            session_id,
            court_code,
            starts_at,
            capacity,
        )

    async def hold_listing(self) -> None:
        """Court's listing lock, held to the end of the transaction; taken before any row lock.

        A listing locks the first session with room *as committed*, and waits for a transaction that holds it;
        a transaction that lists or frees more than one session cannot take them in one order (a batch of
        charges fills the early session then wants a later one, while another has taken that later one and
        wants the early one), and PostgreSQL aborted one of two such for a deadlock (``make faults``, 3 December
        2026). Holding this first, such transactions wait for one another to commit instead. Listings already
        queued on the first session with room, so little concurrency is lost."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('wja_court.listing', 0))")

    async def get_session(self, session_id: str, *, lock: bool = True) -> Session | None:
        lock_clause = " FOR UPDATE" if lock else ""
        row = await self.conn.fetchrow(f"SELECT * FROM sessions WHERE session_id = $1{lock_clause}", session_id)
        return None if row is None else _session(row)

    async def set_capacity(self, session_id: str, capacity: int) -> None:
        await self.conn.execute("UPDATE sessions SET capacity = $2 WHERE session_id = $1", session_id, capacity)

    async def close_session(self, session_id: str) -> None:
        await self.conn.execute("UPDATE sessions SET closed = true WHERE session_id = $1", session_id)

    async def lock_first_slot(self, start: datetime, weight: int, courts: list[str] | None) -> Session | None:
        """The earliest open session from ``start`` with ``weight`` units free, row-locked (waits for a
        racing transaction, then re-checks its free units: the caller must too)."""
        row = await self.conn.fetchrow(
            "SELECT * FROM sessions WHERE NOT closed AND starts_at >= $1 AND capacity - used >= $2"
            " AND ($3::text[] IS NULL OR court_code = ANY($3)) ORDER BY starts_at, session_id LIMIT 1"
            " FOR UPDATE",
            start,
            weight,
            courts,
        )
        return None if row is None else _session(row)

    async def any_slot(self, start: datetime, weight: int, courts: list[str] | None) -> bool:
        """Whether such a session exists now (no lock): after losing a race, a look with fresh eyes."""
        return bool(
            await self.conn.fetchval(
                "SELECT 1 FROM sessions WHERE NOT closed AND starts_at >= $1 AND capacity - used >= $2"
                " AND ($3::text[] IS NULL OR court_code = ANY($3)) LIMIT 1",
                start,
                weight,
                courts,
            )
        )

    async def take_units(self, session_id: str, weight: int) -> None:
        await self.conn.execute("UPDATE sessions SET used = used + $2 WHERE session_id = $1", session_id, weight)

    async def free_units(self, session_id: str, weight: int) -> None:
        await self.conn.execute("UPDATE sessions SET used = used - $2 WHERE session_id = $1", session_id, weight)

    # ------------------------------------------------------------------ cases
    async def get_case(self, urn: str, *, lock: bool = True) -> Case | None:
        row = await self.conn.fetchrow(f"SELECT * FROM cases WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
        return None if row is None else _case(row)

    async def case_exists(self, urn: str) -> bool:
        return bool(await self.conn.fetchval("SELECT 1 FROM cases WHERE urn = $1", urn))

    async def add_case(self, case: Case) -> None:
        await self.conn.execute(
            "INSERT INTO cases (urn, force_code, risk_level, remanded, anticipated_plea, charged_at, offences)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7)",
            *_charge(case),
        )

    async def restart_case(self, case: Case) -> None:
        """New proceedings on a discontinued case: the new charge, pleas and outcomes reset."""
        await self.conn.execute(
            "UPDATE cases SET force_code = $2, risk_level = $3, remanded = $4, anticipated_plea = $5, charged_at = $6,"
            " offences = $7, discontinued = false, not_guilty_plea = false, guilty_plea = false, verdict = NULL,"
            " sentence = NULL WHERE urn = $1",
            *_charge(case),
        )

    async def set_offences(self, urn: str, offences: Sequence[str]) -> None:
        await self.conn.execute("UPDATE cases SET offences = $2 WHERE urn = $1", urn, list(offences))

    async def mark_discontinued(self, urn: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE cases SET discontinued = true, finished_at = COALESCE(finished_at, $2) WHERE urn = $1",
            urn,
            at,
        )

    async def record_plea(self, urn: str, *, guilty: bool) -> None:
        column = "guilty_plea" if guilty else "not_guilty_plea"
        await self.conn.execute(f"UPDATE cases SET {column} = true WHERE urn = $1", urn)

    async def set_remanded(self, urn: str, remanded: bool) -> None:
        await self.conn.execute("UPDATE cases SET remanded = $2 WHERE urn = $1", urn, remanded)

    async def set_verdict(self, urn: str, verdict: str, finished_at: datetime | None) -> None:
        """The verdict; ``finished_at`` when it ends the proceedings (None keeps the case's own)."""
        await self.conn.execute(
            "UPDATE cases SET verdict = $2, finished_at = COALESCE($3, finished_at) WHERE urn = $1",
            urn,
            verdict,
            finished_at,
        )

    async def set_sentence(self, urn: str, record: dict[str, Any], at: datetime) -> None:
        await self.conn.execute("UPDATE cases SET sentence = $2, finished_at = $3 WHERE urn = $1", urn, record, at)

    # ------------------------------------------------------------------ hearings
    async def sits_at(self, urn: str, kind: str) -> datetime | None:
        """When the case's latest listed or resulted hearing of this type sits (None: none has a date)."""
        at: datetime | None = await self.conn.fetchval(
            "SELECT max(s.starts_at) FROM hearings h JOIN sessions s USING (session_id)"
            " WHERE h.urn = $1 AND h.type = $2 AND h.status IN ('listed', 'resulted')",
            urn,
            kind,
        )
        return at

    async def add_hearing(self, hearing_id: str, urn: str, kind: str, weight: int, target_at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO hearings (hearing_id, urn, type, status, weight, target_at)"
            " VALUES ($1,$2,$3,'unlisted',$4,$5)",
            hearing_id,
            urn,
            kind,
            weight,
            target_at,
        )

    async def get_hearing(self, hearing_id: str) -> Hearing | None:
        """The hearing with its session's start, row-locked (the session is not)."""
        row = await self.conn.fetchrow(
            "SELECT h.*, s.starts_at FROM hearings h LEFT JOIN sessions s USING (session_id)"
            " WHERE hearing_id = $1 FOR UPDATE OF h",
            hearing_id,
        )
        return None if row is None else _hearing(row)

    async def mark_listed(self, hearing_id: str, session_id: str) -> None:
        await self.conn.execute(
            "UPDATE hearings SET status = 'listed', session_id = $2 WHERE hearing_id = $1",
            hearing_id,
            session_id,
        )

    async def lock_waiting(self) -> list[Waiting]:
        """Every unlisted hearing with its case's force, remand and risk, oldest first, row-locked."""
        rows = await self.conn.fetch(
            "SELECT h.*, c.force_code, c.remanded, c.risk_level FROM hearings h JOIN cases c USING (urn)"
            " WHERE h.status = 'unlisted' ORDER BY h.created_at, h.hearing_id FOR UPDATE OF h"
        )
        return [Waiting(_hearing(r), r["force_code"], r["remanded"], r["risk_level"], r["created_at"]) for r in rows]

    async def lock_pending(self, urn: str) -> list[Hearing]:
        """The case's hearings still to come (listed or unlisted), row-locked."""
        rows = await self.conn.fetch(
            "SELECT * FROM hearings WHERE urn = $1 AND status IN ('listed', 'unlisted') FOR UPDATE",
            urn,
        )
        return [_hearing(r) for r in rows]

    async def lock_pending_sentencing(self, urn: str) -> list[str]:
        """The ids of the case's sentencing hearings still to come, row-locked."""
        rows = await self.conn.fetch(
            "SELECT hearing_id, session_id, weight FROM hearings WHERE urn = $1"
            " AND type = 'sentencing' AND status IN ('listed','unlisted') FOR UPDATE",
            urn,
        )
        return [r["hearing_id"] for r in rows]

    async def vacate(self, hearing_id: str) -> None:
        await self.conn.execute("UPDATE hearings SET status = 'vacated' WHERE hearing_id = $1", hearing_id)

    async def result_hearing(self, hearing_id: str, result: str, reason_code: str | None, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE hearings SET status = 'resulted', result = $2, reason_code = $3, resulted_at = $4"
            " WHERE hearing_id = $1",
            hearing_id,
            result,
            reason_code,
            at,
        )

    async def set_familiarisation(self, urn: str, visit: dict[str, str]) -> None:
        """The visit on the case's latest trial (none: nothing to record)."""
        await self.conn.execute(
            "UPDATE hearings SET familiarisation = $2 WHERE hearing_id = (SELECT hearing_id FROM hearings"
            " WHERE urn = $1 AND type = 'trial' ORDER BY created_at DESC LIMIT 1)",
            urn,
            visit,
        )

    # ------------------------------------------------------------------ special measures, orders
    async def add_measures_request(self, request_id: str, urn: str, measures: list[str], at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO special_measures (request_id, urn, measures, requested_at) VALUES ($1,$2,$3,$4)"
            " ON CONFLICT (request_id) DO NOTHING",
            request_id,
            urn,
            measures,
            at,
        )

    async def get_measures_request(self, request_id: str, urn: str) -> MeasuresRequest | None:
        row = await self.conn.fetchrow(
            "SELECT * FROM special_measures WHERE request_id = $1 AND urn = $2 FOR UPDATE",
            request_id,
            urn,
        )
        if row is None:
            return None
        return MeasuresRequest(row["request_id"], row["urn"], tuple(row["measures"]), row["decided_at"] is not None)

    async def decide_measures(
        self, request_id: str, granted: bool, measures: list[str], refusal_reason: str | None, at: datetime
    ) -> None:
        await self.conn.execute(
            "UPDATE special_measures SET granted = $2, decided_measures = $3, refusal_reason = $4,"
            " decided_at = $5 WHERE request_id = $1",
            request_id,
            granted,
            measures,
            refusal_reason,
            at,
        )

    async def add_order(self, urn: str, basis: str, until: date | None, conditions: list[str], at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO restraining_orders (urn, basis, until, conditions, made_at) VALUES ($1,$2,$3,$4,$5)",
            urn,
            basis,
            until,
            conditions,
            at,
        )

    # ------------------------------------------------------------------ retention
    async def due_for_erasure(self, cutoff: datetime, limit: int) -> list[str]:
        """Up to ``limit`` cases that ended before ``cutoff`` with nothing keeping them, row-locked
        (``SKIP LOCKED``: a batch another purge holds is left to it)."""
        return [r["urn"] for r in await self.conn.fetch(_DUE, cutoff, limit)]

    async def erase(self, urns: list[str]) -> None:
        for table in ("restraining_orders", "special_measures", "hearings", "cases"):
            await self.conn.execute(f"DELETE FROM {table} WHERE urn = ANY($1::text[])", urns)

    # ------------------------------------------------------------------ read side
    async def case_hearings(self, urn: str) -> list[Hearing]:
        rows = await self.conn.fetch(f"{_HEARINGS} WHERE h.urn = $1 ORDER BY h.created_at, h.hearing_id", urn)
        return [_hearing(r) for r in rows]

    async def sessions(self, court_code: str | None, start: datetime | None, end: datetime | None) -> list[Session]:
        rows = await self.conn.fetch(
            "SELECT * FROM sessions WHERE ($1::text IS NULL OR court_code = $1) AND ($2::timestamptz IS NULL OR"
            " starts_at >= $2) AND ($3::timestamptz IS NULL OR starts_at < $3) ORDER BY starts_at, session_id"
            " LIMIT 1000",
            court_code,
            start,
            end,
        )
        return [_session(r) for r in rows]

    async def session_hearings(self, session_id: str) -> list[Hearing]:
        rows = await self.conn.fetch(f"{_HEARINGS} WHERE h.session_id = $1 ORDER BY h.created_at", session_id)
        return [_hearing(r) for r in rows]

    async def unlisted(self) -> list[Hearing]:
        rows = await self.conn.fetch(f"{_HEARINGS} WHERE h.status = 'unlisted' ORDER BY h.created_at")
        return [_hearing(r) for r in rows]


def _charge(case: Case) -> tuple[Any, ...]:
    return (
        case.urn,
        case.force_code,
        case.risk_level,
        case.remanded,
        case.anticipated_plea,
        case.charged_at,
        list(case.offences),
    )
