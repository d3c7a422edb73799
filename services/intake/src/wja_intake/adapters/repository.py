"""SQL for intake's tables (asyncpg)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from wja_platform import db

from wja_intake.domain.errors import CaseNotFound

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
    async with db.connection(pool) as conn:
        if conn.is_in_transaction():
            return await next_sequence(conn, force, unit, year)
        return int(await conn.fetchval(_NEXT_QUICK, force, unit, year))


_NEXT = (
    "INSERT INTO urn_counters (force_code, unit, year, last) VALUES ($1, $2, $3, 1)"
    " ON CONFLICT (force_code, unit, year) DO UPDATE SET last = urn_counters.last + 1 RETURNING last"
)
_NEXT_QUICK = (
    "INSERT INTO urn_counters (force_code, unit, year, last) SELECT $1, $2, $3, 1"
    " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS quick"
    " ON CONFLICT (force_code, unit, year) DO UPDATE SET last = urn_counters.last + 1 RETURNING last"
)


async def insert_case(conn: asyncpg.Connection, case: dict[str, Any]) -> None:
    await db.insert_row(conn, "cases", {c: case[c] for c in COLUMNS if c in case})


async def insert_victim(conn: asyncpg.Connection, urn: str, key_id: str, wrapped: bytes, ciphertext: bytes) -> None:
    await conn.execute(
        "INSERT INTO victims (urn, key_id, wrapped_key, ciphertext) VALUES ($1,$2,$3,$4)",
        urn,
        key_id,
        wrapped,
        ciphertext,
    )


async def get_case(conn: asyncpg.Connection, urn: str, *, lock: bool = False) -> dict[str, Any]:
    row = await conn.fetchrow(f"SELECT * FROM cases WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
    if row is None:
        raise CaseNotFound(f"no case {urn}")
    return dict(row)


async def find_case(conn: asyncpg.Connection, urn: str, *, lock: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT * FROM cases WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
    return dict(row) if row else None


async def update_case(conn: asyncpg.Connection, urn: str, **changes: Any) -> None:
    await db.update_row(conn, "cases", "urn", urn, {**changes, "updated_at": datetime.now(UTC)})


async def get_victim(conn: asyncpg.Connection, urn: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT key_id, wrapped_key, ciphertext FROM victims WHERE urn = $1", urn)


async def audit(
    conn: asyncpg.Connection, urn: str, sub: str, agency: str, role: str, purpose: str, outcome: str
) -> None:
    await conn.execute(
        "INSERT INTO referral_audit (urn, sub, agency, role, purpose, outcome) VALUES ($1,$2,$3,$4,$5,$6)",
        urn,
        sub,
        agency,
        role,
        purpose,
        outcome,
    )
