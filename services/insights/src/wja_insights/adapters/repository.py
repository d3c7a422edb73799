"""Every SQL statement of insights: the per-case projection, its archived counts and the inbox it fills.

Each fact is set by its own statement so that late and out-of-order arrivals (a verdict before its hearing
result) cannot corrupt a figure: first times by ``LEAST`` (which skips NULL), the final charging decision
and the discontinuance by the latest of their times, not by arrival.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import asyncpg

from wja_insights.domain.archive import Key, Row
from wja_insights.domain.model import Fact, Notification, Order

# A case is due when its latest fact (any dated column, order or notification) is before the cutoff.
_DUE = """
SELECT urn FROM (
    SELECT urn, GREATEST(reported_at, arrested_at, requested_at, decided_at, finalised_at,
                         guilty_plea_at, verdict_at, discontinued_at, closed_at) AS at FROM facts
    UNION ALL SELECT urn, made_at FROM orders
    UNION ALL SELECT urn, told_at FROM notifications
) t
GROUP BY urn HAVING max(at) < $1
ORDER BY urn LIMIT $2
"""
_LATEST_DECISION = (
    "decision = CASE WHEN decided_at IS NULL OR decided_at <= $3 THEN $2 ELSE decision END,"
    " days_to_decision = CASE WHEN decided_at IS NULL OR decided_at <= $3 THEN $4 ELSE days_to_decision END,"
    " decided_at = GREATEST(decided_at, $3)"
)
_LATEST_DISCONTINUANCE = (
    "discontinued = CASE WHEN discontinued_at IS NULL OR discontinued_at <= $3 THEN $2 ELSE discontinued END,"
    " discontinued_at = GREATEST(discontinued_at, $3)"
)


@dataclass(frozen=True)
class Status:
    cases: int
    archived_counts: int
    events_applied: int


class Repository:
    """Insights' tables (and the rows of the platform's ``inbox`` it filled) over one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._pending: dict[str, list[tuple[Any, ...]]] | None = None
        self._new_facts: dict[str, None] = {}

    @contextlib.asynccontextmanager
    async def deferred(self) -> AsyncIterator[None]:
        """The projection's writes made inside wait and go together at the end: the facts rows of every case
        in one statement, then each kind of write in one pipelined statement, in the order first met. Each
        fact has its own statement and rule (see above), so grouping them does not change what they leave."""
        self._pending, self._new_facts = {}, {}
        try:
            yield
            await self.conn.execute(
                "INSERT INTO facts (urn) SELECT u FROM unnest($1::text[]) AS u ORDER BY u ON CONFLICT (urn) DO NOTHING",
                sorted(self._new_facts),
            )
            for sql, rows in self._pending.items():
                await self.conn.executemany(sql, rows)
        finally:
            self._pending = None

    async def _write(self, sql: str, *args: Any) -> None:
        if self._pending is None:
            await self.conn.execute(sql, *args)
        else:
            self._pending.setdefault(sql, []).append(args)

    async def _set(self, urn: str, assignments: str, *args: Any) -> None:
        update = f"UPDATE facts SET {assignments} WHERE urn = $1"
        if self._pending is not None:
            self._new_facts[urn] = None
            await self._write(update, urn, *args)
        elif await self.conn.execute(update, urn, *args) == "UPDATE 0":  # a case's first fact: its row first
            # (most events find the row: one round trip, not an insert that does nothing and then the update)
            await self.conn.execute("INSERT INTO facts (urn) VALUES ($1) ON CONFLICT (urn) DO NOTHING", urn)
            await self.conn.execute(update, urn, *args)

    # -- the projection (one method per fact)

    async def report(self, urn: str, force_code: str, at: datetime) -> None:
        await self._set(urn, "force_code = $2, reported_at = $3", force_code, at)

    async def arrest(self, urn: str, at: datetime) -> None:
        await self._set(urn, "arrested_at = LEAST(arrested_at, $2)", at)

    async def request_charging(self, urn: str, at: datetime, force_code: str) -> None:
        await self._set(
            urn, "requested_at = LEAST(requested_at, $2), force_code = COALESCE(force_code, $3)", at, force_code
        )

    async def close(self, urn: str, outcome_code: str, at: datetime) -> None:
        await self._set(urn, "closure_code = $2, closed_at = $3", outcome_code, at)

    async def decide(self, urn: str, decision: str, at: datetime, days_to_decision: int | None) -> None:
        """The final decision is the latest by decision time, whatever order the decisions arrive in."""
        await self._set(urn, _LATEST_DECISION, decision, at, days_to_decision)

    async def finalise(self, urn: str, at: datetime) -> None:
        await self._set(urn, "finalised_at = $2", at)

    async def discontinue(self, urn: str, reason: str, at: datetime) -> None:
        """The latest discontinuance (by its time) is the one that counts."""
        await self._set(urn, _LATEST_DISCONTINUANCE, reason, at)

    async def plead_guilty(self, urn: str, at: datetime) -> None:
        await self._set(urn, "guilty_plea_at = COALESCE(guilty_plea_at, $2)", at)

    async def record_verdict(self, urn: str, verdict: str, at: datetime) -> None:
        await self._set(urn, "verdict = $2, verdict_at = $3", verdict, at)

    async def add_order(self, event_id: str, urn: str, made_at: datetime) -> None:
        await self._write(
            "INSERT INTO orders (event_id, urn, made_at) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
            event_id,
            urn,
            made_at,
        )

    async def add_notification(self, event_id: str, urn: str, told_at: datetime, on_time: int, late: int) -> None:
        await self._write(
            "INSERT INTO notifications (event_id, urn, told_at, on_time, late) VALUES ($1,$2,$3,$4,$5)"
            " ON CONFLICT DO NOTHING",
            event_id,
            urn,
            told_at,
            on_time,
            late,
        )

    # -- retention

    async def due(self, cutoff: datetime, limit: int) -> list[str]:
        """Up to ``limit`` cases whose latest fact is before ``cutoff``.

        A case's rows lie in three tables and only some of them exist, so no row lock covers a
        batch: a transaction-scoped advisory lock makes purges (the scheduled job, an operator's
        run, another replica) take turns. Two purges deleting the same rows in different orders
        deadlocked otherwise. The batch is chosen after the lock, so it never holds rows the
        previous purge deleted.
        """
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('wja_insights.purge'))")
        return [r["urn"] for r in await self.conn.fetch(_DUE, cutoff, limit)]

    async def take(self, urns: Sequence[str]) -> tuple[list[Fact], list[Order], list[Notification]]:
        """Delete these cases' rows and return them (only what this transaction deleted)."""
        facts = await self.conn.fetch("DELETE FROM facts WHERE urn = ANY($1::text[]) RETURNING *", urns)
        orders = await self.conn.fetch("DELETE FROM orders WHERE urn = ANY($1::text[]) RETURNING urn, made_at", urns)
        notes = await self.conn.fetch(
            "DELETE FROM notifications WHERE urn = ANY($1::text[]) RETURNING urn, told_at, on_time, late", urns
        )
        return _facts(facts), [cast(Order, dict(r)) for r in orders], [cast(Notification, dict(r)) for r in notes]

    async def add_to_archive(self, counts: Mapping[Key, int]) -> None:
        await self.conn.executemany(
            "INSERT INTO archive (force_code, day, measure, key, n) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (force_code, day, measure, key) DO UPDATE SET n = archive.n + EXCLUDED.n",
            [(*k, n) for k, n in sorted(counts.items())],
        )

    # -- rebuild

    async def empty(self, consumer: str) -> None:
        """Empty the projection and its archived counts, and forget the events ``consumer`` applied."""
        await self.conn.execute("TRUNCATE facts, orders, notifications, archive")
        await self.conn.execute("DELETE FROM inbox WHERE consumer = $1", consumer)

    # -- the read side

    async def facts(self) -> list[Fact]:
        return _facts(await self.conn.fetch("SELECT * FROM facts"))

    async def orders(self) -> list[Order]:
        """Every order, with its case's force."""
        rows = await self.conn.fetch("SELECT o.made_at, f.force_code FROM orders o LEFT JOIN facts f USING (urn)")
        return [cast(Order, dict(r)) for r in rows]

    async def notifications(self) -> list[Notification]:
        """Every notification, with its case's force."""
        rows = await self.conn.fetch(
            "SELECT n.told_at, n.on_time, n.late, f.force_code FROM notifications n LEFT JOIN facts f USING (urn)"
        )
        return [cast(Notification, dict(r)) for r in rows]

    async def archived(self, first: date, end: date) -> list[Row]:
        """The archived counts of the London days in [first, end)."""
        rows = await self.conn.fetch(
            "SELECT force_code, day, measure, key, n FROM archive WHERE day >= $1::date AND day < $2::date",
            first,
            end,
        )
        return [(r["force_code"], r["day"], r["measure"], r["key"], r["n"]) for r in rows]

    async def status(self) -> Status:
        return Status(
            cases=await self.conn.fetchval("SELECT count(*) FROM facts"),
            archived_counts=await self.conn.fetchval("SELECT count(*) FROM archive"),
            events_applied=await self.conn.fetchval("SELECT count(*) FROM inbox"),
        )


def _facts(rows: Sequence[asyncpg.Record]) -> list[Fact]:
    return [cast(Fact, dict(r)) for r in rows]
