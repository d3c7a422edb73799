"""Every SQL statement of support's tables (asyncpg): one :class:`Repository` over a connection.

The write side gets typed records (:class:`~wja_support.domain.model.Case`, ``Idva``, ``Notice``);
the read side (``views``) gets rows as dicts, which it shapes into the API's answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import asyncpg
from wja_platform import db
from wja_platform.crypto import Sealed
from wja_platform.problems import NotFound

from wja_support.domain import access
from wja_support.domain.model import Case, Entry, Idva, Notice

Row = dict[str, Any]
_CASE_FIELDS = [f.name for f in fields(Case)]

# Finished: support closed, or never assigned to an IDVA and closed by the police. The clock
# starts at the later of the closure and the case's last timeline entry.
_RETENTION_DUE = """
SELECT c.urn FROM cases c
WHERE (c.support_closed OR (c.idva IS NULL AND c.stage = 'closed'))
  AND GREATEST(c.support_closed_at, (SELECT max(e.at) FROM entries e WHERE e.urn = c.urn)) < $1
ORDER BY c.urn LIMIT $2 FOR UPDATE OF c SKIP LOCKED
"""


_ADD_ENTRY = (
    "INSERT INTO entries (id, urn, at, agency, event_type, summary, duty_holder, tell_victim_by, steps)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (id) DO NOTHING"
)
_CASE_WITH_ENTRY = (
    f"WITH entry AS ({_ADD_ENTRY})"  # $2 is the entry's URN: its case's
    " INSERT INTO cases (urn) VALUES ($2) ON CONFLICT (urn) DO UPDATE SET urn = EXCLUDED.urn RETURNING *"
)


def _entry_row(e: Entry) -> tuple[object, ...]:
    return (e.id, e.urn, e.at, e.agency, e.event_type, e.summary, e.duty_holder, e.tell_victim_by, _steps(e))


def _case(row: asyncpg.Record) -> Case:
    return Case(**{name: row[name] for name in _CASE_FIELDS})


def _steps(entry: Entry) -> list[dict[str, str]] | None:
    steps = [{"duty_holder": s.duty_holder, "by": s.by.isoformat().replace("+00:00", "Z")} for s in entry.steps]
    return steps or None


def _idva(row: asyncpg.Record) -> Idva:
    return Idva(row["sub"], row["team"], tuple(row["forces"]))


class Repository:
    """Support's tables, in the caller's connection (and transaction, if any)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    # -- cases
    async def ensure_case_with_entry(self, entry: Entry) -> Case:
        """The entry's case, created on first sight of any event (events may arrive in any order), and the entry
        added once (by event id), in one statement: one round trip an event, not two (issue 20)."""
        return _case(await self.conn.fetchrow(_CASE_WITH_ENTRY, *_entry_row(entry)))

    async def ensure_cases(self, urns: Sequence[str]) -> dict[str, Case]:
        """The cases of many (distinct) URNs, created if new, in one statement, locked in URN order."""
        rows = await self.conn.fetch(
            "INSERT INTO cases (urn) SELECT u FROM unnest($1::text[]) AS u ORDER BY u"
            " ON CONFLICT (urn) DO UPDATE SET urn = EXCLUDED.urn RETURNING *",
            sorted(urns),
        )
        return {row["urn"]: _case(row) for row in rows}

    async def update_cases(self, changes: Mapping[str, Mapping[str, object]]) -> None:
        """:meth:`update_case` for many cases: one statement for the cases that change the same columns."""
        groups: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
        for urn in sorted(changes):
            cols = tuple(sorted(changes[urn]))
            groups.setdefault(cols, []).append((urn, *(changes[urn][c] for c in cols)))
        for cols, rows in groups.items():
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=2))
            await self.conn.executemany(f"UPDATE cases SET {sets} WHERE urn = $1", rows)

    async def get_case(self, urn: str, *, lock: bool = False) -> Case | None:
        row = await self.conn.fetchrow(f"SELECT * FROM cases WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
        return _case(row) if row else None

    async def update_case(self, urn: str, **changes: object) -> None:
        await db.update_row(self.conn, "cases", "urn", urn, changes)

    async def case_for(
        self, caller: access.Caller, urn: str, *, lock: bool = False, assigned_only: bool = False
    ) -> Case:
        """The case, if ``caller`` may see it (403 otherwise; 404 when unknown); ``lock``: FOR UPDATE."""
        access.require_idva_service(caller)
        case = await self.get_case(urn, lock=lock)
        if case is None:
            raise NotFound(f"no case {urn}")
        forces = await self.team_forces(access.team_of(caller)) if access.needs_team_forces(caller, case) else []
        rostered = caller.role == "idva" and await self.on_roster(caller.sub) is not None
        access.check(caller, case, team_forces=forces, on_roster=rostered, assigned_only=assigned_only)
        return case

    async def contacts_due(self, now: datetime, limit: int = 50) -> list[tuple[str, int]]:
        """(URN, attempts so far) of the cases whose claim check is due, the longest waiting first."""
        rows = await self.conn.fetch(
            "SELECT urn, contact_attempts FROM cases WHERE contact_status IN ('pending', 'failed_retrying')"
            " AND next_contact_at <= $1 ORDER BY next_contact_at LIMIT $2",
            now,
            limit,
        )
        return [(r["urn"], r["contact_attempts"]) for r in rows]

    async def open_caseloads(self) -> dict[str, int]:
        rows = await self.conn.fetch(
            "SELECT idva, count(*) AS n FROM cases WHERE idva IS NOT NULL AND stage <> 'closed'"
            " AND NOT support_closed GROUP BY idva"
        )
        return {r["idva"]: r["n"] for r in rows}

    # -- timeline entries
    async def add_entries(self, entries: Sequence[Entry]) -> None:
        """Timeline entries, each once (by event id): one pipelined statement for all."""
        await self.conn.executemany(_ADD_ENTRY, [_entry_row(e) for e in entries])

    async def notices(self, urn: str, ids: Sequence[str]) -> dict[str, Notice]:
        """The entries ``ids`` of the case, locked (FOR UPDATE) for recording that the victim was told."""
        rows = await self.conn.fetch(
            "SELECT id, tell_victim_by, told_at FROM entries WHERE urn = $1 AND id = ANY($2::text[]) FOR UPDATE",
            urn,
            list(ids),
        )
        return {r["id"]: Notice(r["id"], r["tell_victim_by"], r["told_at"]) for r in rows}

    async def mark_told(self, urn: str, ids: Sequence[str], at: datetime, teller: str, channel: str) -> None:
        await self.conn.execute(
            "UPDATE entries SET told_at = $3, told_by = $4, channel = $5 WHERE urn = $1 AND id = ANY($2::text[])",
            urn,
            list(ids),
            at,
            teller,
            channel,
        )

    # -- roster
    async def roster(self) -> list[Idva]:
        return [_idva(r) for r in await self.conn.fetch("SELECT * FROM roster WHERE active ORDER BY sub")]

    async def roster_rows(self) -> list[Row]:
        """The active roster as stored (``GET /v1/idvas``)."""
        return [dict(r) for r in await self.conn.fetch("SELECT * FROM roster WHERE active ORDER BY sub")]

    async def on_roster(self, sub: str) -> Idva | None:
        row = await self.conn.fetchrow("SELECT * FROM roster WHERE sub = $1 AND active", sub)
        return _idva(row) if row else None

    async def team_forces(self, team: str) -> list[str]:
        """The forces the active IDVAs of ``team`` serve (a manager's reach for cases still without an IDVA)."""
        rows = await self.conn.fetch(
            "SELECT DISTINCT f FROM roster, jsonb_array_elements_text(forces) AS f"
            " WHERE team = $1 AND active ORDER BY f",
            team,
        )
        return [r["f"] for r in rows]

    async def upsert_idva(self, sub: str, team: str, forces: list[str]) -> None:
        await self.conn.execute(
            "INSERT INTO roster (sub, team, forces) VALUES ($1,$2,$3) ON CONFLICT (sub) DO UPDATE"
            " SET team = EXCLUDED.team, forces = EXCLUDED.forces, active = true",
            sub,
            team,
            forces,
        )

    # -- the victim's contact details (encrypted) and the audit of their reads
    async def sealed_contact(self, urn: str) -> Sealed | None:
        row = await self.conn.fetchrow("SELECT key_id, wrapped_key, ciphertext FROM contacts WHERE urn = $1", urn)
        return Sealed(row["key_id"], row["wrapped_key"], row["ciphertext"]) if row else None

    async def store_contact(self, urn: str, sealed: Sealed) -> None:
        await self.conn.execute(
            "INSERT INTO contacts (urn, key_id, wrapped_key, ciphertext) VALUES ($1,$2,$3,$4)"
            " ON CONFLICT (urn) DO UPDATE SET key_id = EXCLUDED.key_id, wrapped_key ="
            " EXCLUDED.wrapped_key, ciphertext = EXCLUDED.ciphertext, fetched_at = now()",
            urn,
            sealed.key_id,
            sealed.wrapped_key,
            sealed.ciphertext,
        )

    async def delete_contact(self, urn: str) -> None:
        await self.conn.execute("DELETE FROM contacts WHERE urn = $1", urn)

    async def purge_closed_contacts(self, now: datetime, retention_days: int) -> list[str]:
        """Delete the contact copies of cases whose support closed more than ``retention_days`` before ``now``,
        marking those cases ``purged``; return their URNs."""
        rows = await self.conn.fetch(
            "DELETE FROM contacts t USING cases c WHERE t.urn = c.urn AND c.support_closed"
            " AND c.support_closed_at < $1::timestamptz - make_interval(days => $2) RETURNING t.urn",
            now,
            retention_days,
        )
        urns = [r["urn"] for r in rows]
        await self.conn.execute(
            "UPDATE cases SET contact_status = 'purged', next_contact_at = NULL WHERE urn = ANY($1::text[])", urns
        )
        return urns

    async def audit_contact_read(
        self, urn: str, caller: access.Caller, purpose: str, outcome: str, at: datetime
    ) -> None:
        """Append one read of the decrypted contact details to the audit trail (append-only table)."""
        await self.conn.execute(
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

    # -- retention of whole cases
    async def retention_due(self, cutoff: datetime, limit: int) -> list[str]:
        """Up to ``limit`` cases finished before ``cutoff`` (locked, skipping those locked elsewhere)."""
        return [r["urn"] for r in await self.conn.fetch(_RETENTION_DUE, cutoff, limit)]

    async def erase(self, urns: list[str]) -> None:
        for table in ("entries", "contacts", "cases"):
            await self.conn.execute(f"DELETE FROM {table} WHERE urn = ANY($1::text[])", urns)

    # -- read side (views)
    async def entries(self, urn: str) -> list[Row]:
        rows = await self.conn.fetch("SELECT * FROM entries WHERE urn = $1 ORDER BY at, seq", urn)
        return [dict(r) for r in rows]

    async def caseload(self, scope: tuple[str, str], now: datetime, waiting: list[str]) -> list[Row]:
        """The cases of ``scope`` (``idva`` or ``team``, and its value), plus the referred cases of the
        forces ``waiting`` that no IDVA serves yet, with their next deadline and overdue count."""
        column, value = scope
        assert column in ("idva", "team")
        rows = await self.conn.fetch(
            f"SELECT c.urn, c.stage, c.idva, c.contact_status, c.support_closed,"
            f" min(e.tell_victim_by) FILTER (WHERE e.told_at IS NULL) AS next_deadline,"
            f" count(*) FILTER (WHERE e.told_at IS NULL AND e.tell_victim_by < $2) AS overdue"
            f" FROM cases c LEFT JOIN entries e USING (urn) WHERE c.{column} = $1"
            f" OR (c.idva IS NULL AND c.referral_basis IS NOT NULL AND c.force_code = ANY($3::text[]))"
            f" GROUP BY c.urn ORDER BY c.idva NULLS FIRST, next_deadline NULLS LAST, c.urn",
            value,
            now,
            waiting,
        )
        return [dict(r) for r in rows]

    async def untold(self, scope: tuple[str, str], now: datetime, overdue_only: bool) -> list[Row]:
        """The entries of ``scope``'s cases whose victim is still to be told, earliest deadline first."""
        column, value = scope
        assert column in ("idva", "team")
        rows = await self.conn.fetch(
            f"SELECT e.* FROM entries e JOIN cases c USING (urn) WHERE c.{column} = $1"
            f" AND e.tell_victim_by IS NOT NULL AND e.told_at IS NULL AND (NOT $3 OR e.tell_victim_by < $2)"
            f" ORDER BY e.tell_victim_by",
            value,
            now,
            overdue_only,
        )
        return [dict(r) for r in rows]

    async def obligation_counts(self, now: datetime) -> dict[str, tuple[int, int]]:
        """Notices still to give, per duty holder: (not yet given, of which past their deadline)."""
        rows = await self.conn.fetch(
            "SELECT duty_holder, count(*) AS due, count(*) FILTER (WHERE tell_victim_by < $1) AS overdue"
            " FROM entries WHERE told_at IS NULL AND tell_victim_by IS NOT NULL GROUP BY duty_holder",
            now,
        )
        return {r["duty_holder"]: (int(r["due"]), int(r["overdue"])) for r in rows}

    async def contact_reads(self, team: str, urn: str | None) -> list[Row]:
        rows = await self.conn.fetch(
            "SELECT a.id, a.urn, a.sub, a.agency, a.role, a.purpose, a.outcome, a.read_at FROM contact_read_audit a"
            " JOIN cases c USING (urn) WHERE c.team = $1 AND ($2::text IS NULL OR a.urn = $2) ORDER BY a.id",
            team,
            urn,
        )
        return [dict(r) for r in rows]

    async def contacted(self, urns: list[str]) -> set[str]:
        """Of ``urns``, the cases where a contact with the victim is already recorded (any entry told)."""
        rows = await self.conn.fetch(
            "SELECT DISTINCT urn FROM entries WHERE urn = ANY($1::text[]) AND told_at IS NOT NULL", urns
        )
        return {r["urn"] for r in rows}
