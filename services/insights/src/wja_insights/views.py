"""Read side: load the facts of a force (or all) and compute the measures."""

from __future__ import annotations

from typing import Any

import asyncpg

from wja_insights.domain import measures


async def summary(conn: asyncpg.Connection, period: measures.Period, force: str | None) -> dict[str, Any]:
    facts = [dict(r) for r in await conn.fetch("SELECT * FROM facts WHERE $1::text IS NULL OR force_code = $1", force)]
    orders = [
        r["made_at"]
        for r in await conn.fetch(
            "SELECT o.made_at FROM orders o LEFT JOIN facts f USING (urn) WHERE $1::text IS NULL OR f.force_code = $1",
            force,
        )
    ]
    notes = [
        dict(r)
        for r in await conn.fetch(
            "SELECT n.told_at, n.on_time, n.late FROM notifications n LEFT JOIN facts f USING (urn)"
            " WHERE $1::text IS NULL OR f.force_code = $1",
            force,
        )
    ]
    result = measures.summary(facts, orders, notes, period, suppress=force is not None)
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "force": force, **result}


async def status(conn: asyncpg.Connection) -> dict[str, int]:
    return {
        "cases": await conn.fetchval("SELECT count(*) FROM facts"),
        "events_applied": await conn.fetchval("SELECT count(*) FROM inbox"),
    }
