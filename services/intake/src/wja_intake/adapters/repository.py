"""Every SQL statement of intake's tables (asyncpg): the cases, the sealed contact details, the URN
counter and the referral audit. :class:`Repository` is what the service layer's unit of work holds;
:class:`CaseRepository` is its shape, which unit tests fake in memory."""

from __future__ import annotations

import contextlib
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
from wja_platform import db, telemetry
from wja_platform.crypto import Sealed
from wja_platform.problems import Conflict, NotFound

from wja_intake.domain.model import Case, format_urn

COLUMNS = (
    "urn",
    "force_code",
    "unit",
    "victim_ref",
    "status",
    "reported_at",
    "offences",
    "suspect",
    "risk",
    "referral_basis",
    "consent_withdrawn",
    "victim_support",
    "arrested_at",
    "interviewed_at",
    "bail",
    "protective",
    "action_plan",
    "cps_decision",
    "closure",
    "assigned_idva",
    "first_statement_at",
)
"""The columns a new case is written with (the rest keep their defaults)."""
CASE_FIELDS = frozenset(f.name for f in fields(Case))
_N = len(COLUMNS)
_ADD_CASE = f"INSERT INTO cases ({', '.join(COLUMNS)}) VALUES ({', '.join(f'${i}' for i in range(1, _N + 1))})"
_ADD_VICTIM = "INSERT INTO victims (urn, key_id, wrapped_key, ciphertext) VALUES ($1, $2, $3, $4)"


class CaseRepository(Protocol):
    """What the service layer may ask of intake's store."""

    async def next_sequence(self, force: str, unit: str, year: int) -> int: ...
    async def add(self, case: Case, victim: Sealed) -> None: ...
    async def get(self, urn: str, *, lock: bool = False) -> Case: ...
    async def update(self, urn: str, **changes: Any) -> None: ...
    async def victim(self, urn: str) -> Sealed | None: ...
    async def audit(self, urn: str, sub: str, agency: str, role: str, purpose: str, outcome: str) -> None: ...
    async def purge_contacts(self, now: datetime, retention_days: int) -> int: ...


def to_case(row: asyncpg.Record) -> Case:
    return Case(**{k: v for k, v in dict(row).items() if k in CASE_FIELDS})


class Repository:
    """Intake's store over one connection (in the caller's transaction)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def next_sequence(self, force: str, unit: str, year: int) -> int:
        """The next URN sequence for a force, unit and year (row-locked: unique under concurrency)."""
        return await next_sequence(self.conn, force, unit, year)

    async def add(self, case: Case, victim: Sealed) -> None:
        """A new case with its victim's sealed contact details: two statements, which the report's one-statement
        unit of work (:class:`wja_platform.uow.OneStatementUnitOfWork`) sends with its events as one.

        The fields are read as they are: ``dataclasses.asdict`` deep-copied every document first (the DASH answers
        among them), 109 µs of a report's CPU (issue 20)."""
        await self.conn.execute(_ADD_CASE, *[getattr(case, c) for c in COLUMNS])
        await self.conn.execute(_ADD_VICTIM, case.urn, victim.key_id, victim.wrapped_key, victim.ciphertext)

    async def find(self, urn: str, *, lock: bool = False) -> Case | None:
        row = await self.conn.fetchrow(f"SELECT * FROM cases WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
        return to_case(row) if row else None

    async def get(self, urn: str, *, lock: bool = False) -> Case:
        case = await self.find(urn, lock=lock)
        if case is None:
            raise NotFound(f"no case {urn}")
        return case

    async def update(self, urn: str, **changes: Any) -> None:
        await db.update_row(self.conn, "cases", "urn", urn, {**changes, "updated_at": datetime.now(UTC)})

    async def victim(self, urn: str) -> Sealed | None:
        row = await self.conn.fetchrow("SELECT key_id, wrapped_key, ciphertext FROM victims WHERE urn = $1", urn)
        return Sealed(row["key_id"], row["wrapped_key"], row["ciphertext"]) if row else None

    async def audit(self, urn: str, sub: str, agency: str, role: str, purpose: str, outcome: str) -> None:
        await self.conn.execute(
            "INSERT INTO referral_audit (urn, sub, agency, role, purpose, outcome) VALUES ($1,$2,$3,$4,$5,$6)",
            urn,
            sub,
            agency,
            role,
            purpose,
            outcome,
        )

    async def purge_contacts(self, now: datetime, retention_days: int) -> int:
        """Erase the contact details of cases closed longer ago than ``retention_days`` and mark each case
        ``contact_purged_at`` (in the caller's transaction); how many were erased."""
        rows = await self.conn.fetch(
            "DELETE FROM victims v USING cases c WHERE v.urn = c.urn AND c.status = 'closed'"
            " AND (c.closure->>'closed_at')::timestamptz < $1::timestamptz - make_interval(days => $2)"
            " RETURNING v.urn",
            now,
            retention_days,
        )
        await self.conn.execute(
            "UPDATE cases SET contact_purged_at = $2, updated_at = $2 WHERE urn = ANY($1::text[])",
            [r["urn"] for r in rows],
            now,
        )
        return len(rows)

    # ---------------------------------------------------------------- read side (views.py)
    async def case_rows(self, force: str | None, status: str | None) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            "SELECT urn, status, force_code, risk->>'level' AS risk_level, reported_at FROM cases"
            " WHERE ($1::text IS NULL OR force_code = $1) AND ($2::text IS NULL OR status = $2)"
            " ORDER BY reported_at DESC LIMIT 500",
            force,
            status,
        )
        return [dict(r) for r in rows]

    async def audit_rows(self, urn: str) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            "SELECT id, sub, agency, role, purpose, outcome, read_at FROM referral_audit WHERE urn = $1 ORDER BY id",
            urn,
        )
        return [dict(r) for r in rows]


async def next_sequence(conn: asyncpg.Connection, force: str, unit: str, year: int) -> int:
    """The next URN sequence for a force, unit and year in ``conn``'s transaction (row-locked until it ends)."""
    return int(await conn.fetchval(_NEXT, force, unit, year))


async def allocate_sequence(pool: asyncpg.Pool, force: str, unit: str, year: int) -> int:
    """The next URN sequence, in a transaction of its own, before the report's: the counter row is
    locked for this one statement instead of the whole report (it serialised every report of a force).

    Its commit does not wait for the disk (``synchronous_commit`` off for it alone): the report's own
    commit flushes the WAL up to there (WAL is written in order), so after a crash a URN in use is never
    handed out again. A report that fails after this leaves a gap in the sequence.

    A request sent with an Idempotency-Key runs whole in one transaction on one connection
    (:func:`wja_platform.db.ambient`); there the sequence is taken in that transaction, as before. Taking
    a second connection for it would deadlock the pool once every connection is such a request.
    """
    with telemetry.database_span("intake.urn_counter") as span:  # one span, not the statement's and the reset's
        async with db.connection(pool) as conn:
            if conn.is_in_transaction():
                seq = await next_sequence(conn, force, unit, year)
            else:
                seq = int(await conn.fetchval(_NEXT_QUICK, force, unit, year))
        with contextlib.suppress(Conflict):  # an exhausted sequence is the report's to refuse, not this span's
            span.set_attribute("wja.case.urn", format_urn(force, unit, seq, year))
        return seq


_NEXT = (
    "INSERT INTO urn_counters (force_code, unit, year, last) VALUES ($1, $2, $3, 1)"
    " ON CONFLICT (force_code, unit, year) DO UPDATE SET last = urn_counters.last + 1 RETURNING last"
)
_NEXT_QUICK = (
    "INSERT INTO urn_counters (force_code, unit, year, last) SELECT $1, $2, $3, 1"
    " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS quick"
    " ON CONFLICT (force_code, unit, year) DO UPDATE SET last = urn_counters.last + 1 RETURNING last"
)
