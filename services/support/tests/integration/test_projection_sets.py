"""The set-based projection (runs of plain events in a few statements) leaves exactly what the per-event one
leaves, on the real database: the same case records and the same timeline entries."""

from __future__ import annotations

import random

import pytest
from wja_platform.uow import PgUnitOfWork
from wja_schemas import new_envelope
from wja_schemas.examples import example
from wja_support.adapters.repository import Repository
from wja_support.config import SupportSettings
from wja_support.service_layer import projection

pytestmark = pytest.mark.integration
RULES = SupportSettings.model_fields["notice_working_days"].default
JOURNEY = [
    ("wja.intake.crime.reported.v1", {"force_code": "01"}),
    ("wja.intake.suspect.arrested.v1", {}),
    ("wja.intake.charging.requested.v1", {}),
    ("wja.charging.decision.made.v1", {"decision": "charge"}),
    ("wja.court.hearing.listed.v1", {}),
    ("wja.court.hearing.resulted.v1", {"result": "guilty_plea"}),
    ("wja.court.sentence.imposed.v1", {}),
    ("wja.intake.case.closed.v1", {}),
]


def events(urns: list[str], cut: int) -> list:
    """Three cases' journeys interleaved; the third stops at ``cut`` and restarts (a replayed report), the
    second has an event after its closure (each case's changes must be folded in order)."""
    out = []
    for step, (ce_type, fields) in enumerate(JOURNEY):
        for n, urn in enumerate(urns):
            if n < 2 or step < cut:
                out.append((ce_type, urn, fields))
    out.append((JOURNEY[0][0], urns[2], JOURNEY[0][1]))
    out.append(("wja.court.hearing.listed.v1", urns[1], {}))  # late, after closure: the stage stays closed
    return out


async def snapshot(conn, urns: list[str]) -> list:
    cases = await conn.fetch("SELECT * FROM cases WHERE urn = ANY($1::text[]) ORDER BY urn", urns)
    entries = await conn.fetch(
        "SELECT urn, event_type, summary, duty_holder, tell_victim_by, steps, agency"
        " FROM entries WHERE urn = ANY($1::text[]) ORDER BY urn, at, event_type",
        urns,
    )
    rename = {u: f"#{i}" for i, u in enumerate(urns)}
    return [
        [{k: (rename.get(v, v) if k == "urn" else v) for k, v in dict(r).items()} for r in cases],
        [{k: (rename.get(v, v) if k == "urn" else v) for k, v in dict(r).items()} for r in entries],
    ]


async def test_runs_of_plain_events_leave_what_one_event_at_a_time_leaves(support):
    force = random.randrange(10, 99)
    one_by_one = [f"{force}PS{n:05d}26" for n in range(3)]
    in_runs = [f"{force}PR{n:05d}26" for n in range(3)]
    plan = events(one_by_one, cut=5)
    async with support.pool.acquire() as conn, conn.transaction():
        uow = PgUnitOfWork.joining(conn, Repository)
        for ce_type, urn, fields in plan:
            await projection.apply(uow, new_envelope(example(ce_type, urn=urn, **fields)), RULES)
        rename = dict(zip(one_by_one, in_runs, strict=True))
        envs = [new_envelope(example(t, urn=rename[u], **f)) for t, u, f in events(one_by_one, cut=5)]
        assert all(projection.plain(e) for e in envs)
        await projection.apply_many(uow, envs[:7], RULES)  # two runs, the split inside a case's journey
        await projection.apply_many(uow, envs[7:], RULES)  # the second holds a closure and a later event
        expected, got = await snapshot(conn, one_by_one), await snapshot(conn, in_runs)
    assert expected[0] and len(expected[1]) == len(plan)
    assert [c["stage"] for c in expected[0]] != ["reported"] * 3  # the journeys moved the stages
    assert got == expected


def test_referrals_withdrawals_and_assignments_are_not_plain():
    for ce_type in ("wja.intake.victim.referred.v1", "wja.intake.consent.withdrawn.v1", "wja.support.idva.assigned.v1"):
        assert not projection.plain(new_envelope(example(ce_type)))
    assert projection.plain(new_envelope(example("wja.court.verdict.recorded.v1")))
