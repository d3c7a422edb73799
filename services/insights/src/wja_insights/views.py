"""Read side: load the facts, compute the measures for the nation and every force, suppress."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import asyncpg

from wja_insights.domain import archive, disclosure, measures


async def summary(conn: asyncpg.Connection, period: measures.Period, force: str | None) -> dict[str, Any]:
    """The measures of one force (or all), suppressed consistently with every other force's.

    Every force is computed, even for one force's answer: secondary suppression across forces
    needs them all, so that the national figure minus the published forces never reveals a
    suppressed one.
    """
    facts = [dict(r) for r in await conn.fetch("SELECT * FROM facts")]
    orders = [
        dict(r) for r in await conn.fetch("SELECT o.made_at, f.force_code FROM orders o LEFT JOIN facts f USING (urn)")
    ]
    notes = [
        dict(r)
        for r in await conn.fetch(
            "SELECT n.told_at, n.on_time, n.late, f.force_code FROM notifications n LEFT JOIN facts f USING (urn)"
        )
    ]
    old_facts, old_orders, old_notes = archive.expand(
        await conn.fetch(
            "SELECT force_code, day, measure, key, n FROM archive WHERE day >= $1::date AND day < $2::date",
            period.start.date(),
            period.end.date() + timedelta(days=1),
        )
    )
    facts, orders, notes = facts + old_facts, orders + old_orders, notes + old_notes
    national = measures.summary(facts, [r["made_at"] for r in orders], notes, period)
    by_force: dict[str, tuple[list[Any], list[Any], list[Any]]] = defaultdict(lambda: ([], [], []))
    for f in facts:
        by_force[f["force_code"] or disclosure.UNPUBLISHED_SCOPE][0].append(f)
    for r in orders:
        by_force[r["force_code"] or disclosure.UNPUBLISHED_SCOPE][1].append(r["made_at"])
    for r in notes:
        by_force[r["force_code"] or disclosure.UNPUBLISHED_SCOPE][2].append(r)
    forces = {code: measures.summary(*parts, period) for code, parts in by_force.items()}
    if force is not None:
        forces.setdefault(force, measures.summary([], [], [], period))  # no facts: all zero
    national, forces = disclosure.protect(national, forces)
    result = national if force is None else forces[force]
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "force": force, **result}


async def status(conn: asyncpg.Connection) -> dict[str, int]:
    return {
        "cases": await conn.fetchval("SELECT count(*) FROM facts"),
        "archived_counts": await conn.fetchval("SELECT count(*) FROM archive"),
        "events_applied": await conn.fetchval("SELECT count(*) FROM inbox"),
    }
