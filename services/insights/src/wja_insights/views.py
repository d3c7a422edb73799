"""Read side: load the facts, compute the measures for the nation and every force, suppress."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from wja_platform.uow import read

from wja_insights.adapters.repository import Repository, Status
from wja_insights.domain import archive, disclosure, measures
from wja_insights.domain.model import Fact, Notification, Order

READ = "insights.read"
"""The span of a read view: one for the whole read, not one per statement."""
Inputs = tuple[list[Fact], list[datetime], list[Notification]]
"""What :func:`measures.summary` reads: facts, the times of orders, notifications."""


async def summary(pool: asyncpg.Pool, period: measures.Period, force: str | None) -> dict[str, Any]:
    """The measures of one force (or all), suppressed consistently with every other force's.

    Every force is computed, even for one force's answer: secondary suppression across forces
    needs them all, so that the national figure minus the published forces never reveals a
    suppressed one.
    """
    async with read(pool, READ) as conn:
        repo = Repository(conn)
        facts, orders, notes = await repo.facts(), await repo.orders(), await repo.notifications()
        rows = await repo.archived(period.start.date(), period.end.date() + timedelta(days=1))
    old_facts, old_orders, old_notes = archive.expand(rows)
    facts, orders, notes = facts + old_facts, orders + old_orders, notes + old_notes
    national = measures.summary(facts, [r["made_at"] for r in orders], notes, period)
    forces = {code: measures.summary(*parts, period) for code, parts in by_force(facts, orders, notes).items()}
    if force is not None:
        forces.setdefault(force, measures.summary([], [], [], period))  # no facts: all zero
    national, forces = disclosure.protect(national, forces)
    result = national if force is None else forces[force]
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "force": force, **result}


def by_force(facts: list[Fact], orders: list[Order], notes: list[Notification]) -> dict[str, Inputs]:
    """Each force's inputs (those of no known force under :data:`disclosure.UNPUBLISHED_SCOPE`)."""
    out: dict[str, Inputs] = defaultdict(lambda: ([], [], []))
    for f in facts:
        out[f.get("force_code") or disclosure.UNPUBLISHED_SCOPE][0].append(f)
    for o in orders:
        out[o.get("force_code") or disclosure.UNPUBLISHED_SCOPE][1].append(o["made_at"])
    for n in notes:
        out[n.get("force_code") or disclosure.UNPUBLISHED_SCOPE][2].append(n)
    return out


async def status(pool: asyncpg.Pool) -> Status:
    async with read(pool, READ) as conn:
        return await Repository(conn).status()
