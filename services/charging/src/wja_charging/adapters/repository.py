"""Every SQL statement of the CPS tables (asyncpg): files, decisions, reviews, IDVA assignments.

:class:`Repository` works on one connection, in the caller's transaction (a unit of work's, or the
consumer's); it takes and returns the domain's typed records. :class:`FileRepository` is what the
service layer needs of it, so unit tests run the use cases against an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Protocol

import asyncpg
from wja_platform import db
from wja_platform.problems import NotFound

from wja_charging.domain import model


class FileRepository(Protocol):
    """The CPS store as the service layer sees it."""

    async def find_file(self, urn: str, *, lock: bool = False) -> model.File | None: ...
    async def get_file(self, urn: str, *, lock: bool = False) -> model.File: ...
    async def add_file(self, file: model.File) -> None: ...
    async def save_file(self, file: model.File) -> None: ...
    async def overdue_action_plans(self, today: date) -> list[model.File]: ...
    async def add_decision(
        self,
        urn: str,
        request: model.DecisionRequest,
        charges: tuple[model.Charge, ...],
        reason: str,
        prosecutor: str,
        at: datetime,
    ) -> None: ...
    async def has_open_review(self, urn: str) -> bool: ...
    async def add_review(self, review: model.Review) -> None: ...
    async def find_review(self, review_id: str, *, lock: bool = False) -> model.Review | None: ...
    async def save_review_outcome(self, review: model.Review) -> None: ...
    async def record_assignment(self, urn: str, assignment: model.Assignment, at: datetime) -> None: ...
    async def assignment(self, urn: str) -> model.Assignment | None: ...


# Finished: decided (charge, NFA, OOCD) or administratively finalised, no review open. The clock
# starts at the CPS's last act on the file: charging never hears the court's outcome.
_DUE_FOR_PURGE = """
SELECT f.urn FROM files f
WHERE f.status IN ('decided', 'finalised')
  AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.urn = f.urn AND r.outcome IS NULL)
  AND GREATEST(
        f.received_at, f.decided_at, f.discontinued_at, f.due_date::timestamptz,
        (SELECT max(d.decided_at) FROM decisions d WHERE d.urn = f.urn),
        (SELECT max(GREATEST(r.requested_at, r.decided_at)) FROM reviews r WHERE r.urn = f.urn)
      ) < $1
ORDER BY f.urn LIMIT $2 FOR UPDATE OF f SKIP LOCKED
"""


_SUBMITTED = [f.name for f in fields(model.Submission) if f.name != "offences"]
"""The submission's columns of ``files`` (same names), but for the offences' dates (``offences_occurred_at``)."""
_CPS = ("status", "due_date", "review_by", "decided_at", "days_to_decision", "discontinued_at")
"""The CPS's own columns of ``files`` (same names), but for ``last_decision`` (JSON)."""


def _file(row: asyncpg.Record) -> model.File:
    offences = [
        model.ReportedOffence(o["code"], datetime.fromisoformat(o["occurred_at"])) for o in row["offences_occurred_at"]
    ]
    last = row["last_decision"]
    return model.File(
        urn=row["urn"],
        submission=model.Submission(**{name: row[name] for name in _SUBMITTED}, offences=offences),
        received_at=row["received_at"],
        last_decision=model.DecisionSummary.from_json(last) if last else None,
        **{name: row[name] for name in _CPS},
    )


def _columns(file: model.File) -> dict[str, object]:
    """What a use case may change of a file (the urn and when it was received never change)."""
    offences = [{"code": o.code, "occurred_at": o.occurred_at.isoformat()} for o in file.submission.offences]
    return {
        **{name: getattr(file.submission, name) for name in _SUBMITTED},
        "offences_occurred_at": offences,
        **{name: getattr(file, name) for name in _CPS},
        "last_decision": file.last_decision.as_json() if file.last_decision else None,
    }


def _review(row: asyncpg.Record) -> model.Review:
    return model.Review(**{f.name: row[f.name] for f in fields(model.Review)})


class Repository:
    """The CPS tables on one connection (in its caller's transaction)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def find_file(self, urn: str, *, lock: bool = False) -> model.File | None:
        row = await self.conn.fetchrow(f"SELECT * FROM files WHERE urn = $1{' FOR UPDATE' if lock else ''}", urn)
        return _file(row) if row else None

    async def get_file(self, urn: str, *, lock: bool = False) -> model.File:
        """The file of ``urn``; an unknown URN is 404."""
        file = await self.find_file(urn, lock=lock)
        if file is None:
            raise NotFound(f"no charging file for {urn}")
        return file

    async def add_file(self, file: model.File) -> None:
        await db.insert_row(self.conn, "files", {"urn": file.urn, "received_at": file.received_at, **_columns(file)})

    async def save_file(self, file: model.File) -> None:
        """Write back a file read with ``lock=True`` in this transaction."""
        await db.update_row(self.conn, "files", "urn", file.urn, _columns(file))

    async def overdue_action_plans(self, today: date) -> list[model.File]:
        """Files waiting for further material past its due date (locked; those locked elsewhere skipped)."""
        rows = await self.conn.fetch(
            "SELECT * FROM files WHERE status = 'further_material_required' AND due_date < $1 FOR UPDATE SKIP LOCKED",
            today,
        )
        return [_file(r) for r in rows]

    async def files_with_status(self, statuses: Sequence[str]) -> list[model.File]:
        rows = await self.conn.fetch("SELECT * FROM files WHERE status = ANY($1::text[])", list(statuses))
        return [_file(r) for r in rows]

    async def add_decision(
        self,
        urn: str,
        request: model.DecisionRequest,
        charges: tuple[model.Charge, ...],
        reason: str,
        prosecutor: str,
        at: datetime,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO decisions (urn, decision, test, basis, charges, due_date, bail_risk_justification, reason,"
            " prosecutor, decided_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
            urn,
            request.decision,
            request.test,
            request.basis,
            [asdict(c) for c in charges],
            request.due_date,
            request.bail_risk_justification,
            reason,
            prosecutor,
            at,
        )

    async def has_open_review(self, urn: str) -> bool:
        return bool(await self.conn.fetchval("SELECT 1 FROM reviews WHERE urn = $1 AND outcome IS NULL", urn))

    async def add_review(self, review: model.Review) -> None:
        await db.insert_row(self.conn, "reviews", asdict(review))

    async def find_review(self, review_id: str, *, lock: bool = False) -> model.Review | None:
        row = await self.conn.fetchrow(
            f"SELECT * FROM reviews WHERE review_id = $1{' FOR UPDATE' if lock else ''}", review_id
        )
        return _review(row) if row else None

    async def reviews_of(self, urn: str) -> list[model.Review]:
        rows = await self.conn.fetch("SELECT * FROM reviews WHERE urn = $1 ORDER BY requested_at", urn)
        return [_review(r) for r in rows]

    async def save_review_outcome(self, review: model.Review) -> None:
        await self.conn.execute(
            "UPDATE reviews SET outcome = $2, reason = $3, decided_at = $4 WHERE review_id = $1",
            review.review_id,
            review.outcome,
            review.reason,
            review.decided_at,
        )

    async def record_assignment(self, urn: str, assignment: model.Assignment, at: datetime) -> None:
        """Keep the latest IDVA assignment of a case (a replayed older one does not undo a newer)."""
        await self.conn.execute(
            "INSERT INTO idva_assignments (urn, idva, team, assigned_at) VALUES ($1,$2,$3,$4)"
            " ON CONFLICT (urn) DO UPDATE SET idva = EXCLUDED.idva, team = EXCLUDED.team,"
            " assigned_at = EXCLUDED.assigned_at WHERE idva_assignments.assigned_at <= EXCLUDED.assigned_at",
            urn,
            assignment.idva,
            assignment.team,
            at,
        )

    async def assignment(self, urn: str) -> model.Assignment | None:
        row = await self.conn.fetchrow("SELECT idva, team FROM idva_assignments WHERE urn = $1", urn)
        return model.Assignment(row["idva"], row["team"]) if row else None

    async def due_for_erasure(self, cutoff: datetime, limit: int) -> list[str]:
        """Up to ``limit`` finished files whose CPS's last act was before ``cutoff`` (locked)."""
        return [r["urn"] for r in await self.conn.fetch(_DUE_FOR_PURGE, cutoff, limit)]

    async def erase(self, urns: list[str]) -> None:
        """Delete these files with their decisions and reviews."""
        for table in ("reviews", "decisions", "files"):
            await self.conn.execute(f"DELETE FROM {table} WHERE urn = ANY($1::text[])", urns)
