"""A batch's facts written together (``Repository.deferred``) leave what one event at a time leaves, on the
real database, in any order of arrival."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from wja_insights.adapters.repository import Repository
from wja_insights.service_layer import handlers
from wja_platform.uow import PgUnitOfWork
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration
AT = datetime(2034, 1, 9, 10, tzinfo=UTC)  # a quarter no other test uses
H = timedelta(hours=1)


def plan(force: str) -> list[tuple[str, int, dict]]:
    """(type, case number, fields): two decisions and two arrests of one case, an order, a notification."""
    return [
        ("wja.intake.crime.reported.v1", 0, {"force_code": force, "reported_at": AT}),
        ("wja.intake.suspect.arrested.v1", 0, {"arrested_at": AT + 2 * H}),
        ("wja.intake.suspect.arrested.v1", 0, {"arrested_at": AT + H}),
        ("wja.intake.charging.requested.v1", 0, {"requested_at": AT + 3 * H, "force_code": force}),
        ("wja.charging.decision.made.v1", 0, {"decision": "charge", "decided_at": AT + 9 * H, "days_to_decision": 1}),
        ("wja.charging.decision.made.v1", 0, {"decision": "no_further_action", "decided_at": AT + 5 * H}),
        ("wja.court.hearing.resulted.v1", 0, {"result": "guilty_plea", "resulted_at": AT + 20 * H}),
        ("wja.court.restraining_order.made.v1", 0, {"made_at": AT + 21 * H}),
        ("wja.intake.crime.reported.v1", 1, {"force_code": force, "reported_at": AT + H}),
        ("wja.charging.proceedings.discontinued.v1", 1, {"discontinued_at": AT + 30 * H}),
        ("wja.support.victim.informed.v1", 1, {"told_at": AT + 31 * H}),
        ("wja.court.verdict.recorded.v1", 2, {"verdict": "acquitted", "recorded_at": AT + 40 * H}),
    ]


async def rows(conn, urns: list[str]) -> list:
    rename = {u: f"#{i}" for i, u in enumerate(urns)}
    out = []
    for table in ("facts", "orders", "notifications"):
        found = await conn.fetch(f"SELECT * FROM {table} WHERE urn = ANY($1::text[]) ORDER BY urn", urns)
        out.append([{k: rename.get(v, v) for k, v in dict(r).items() if k != "event_id"} for r in found])
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_batchs_facts_written_together_equal_one_event_at_a_time(insights, seed, fresh_force):
    force = fresh_force()
    one, many = [f"{force}FO{seed}{n:04d}34" for n in range(3)], [f"{force}FM{seed}{n:04d}34" for n in range(3)]
    steps = plan(force)
    random.Random(seed).shuffle(steps)
    async with insights.pool.acquire() as conn, conn.transaction():
        uow = PgUnitOfWork.joining(conn, Repository)
        for ce_type, n, fields in steps:
            await handlers.apply(uow, new_envelope(example(ce_type, urn=one[n], **fields)))
        envs = [new_envelope(example(t, urn=many[n], **f)) for t, n, f in steps]
        await handlers.apply_many(uow, envs[:5])
        await handlers.apply_many(uow, envs[5:])
        expected, got = await rows(conn, one), await rows(conn, many)
    assert [len(t) for t in expected] == [3, 1, 1]
    assert expected[0][0]["decision"] == "charge" and expected[0][0]["arrested_at"] == AT + H
    assert got == expected
