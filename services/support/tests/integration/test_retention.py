"""Support deletes a whole case (timeline, contact copy, record) a retention period after it finished."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wja_cli.testing import eventually
from wja_platform.consumer import Record
from wja_schemas import new_envelope, to_record
from wja_schemas.examples import example
from wja_support.service_layer import retention

pytestmark = pytest.mark.integration


async def rows_of(support, urn) -> dict[str, int]:
    return {
        table: await support.pool.fetchval(f"SELECT count(*) FROM {table} WHERE urn = $1", urn)
        for table in ("cases", "entries", "contacts", "outbox")
    }


async def test_closed_cases_go_after_retention_and_open_ones_stay(support):
    await support.intake.start()
    closed = (await support.referred(support.urn()))["urn"]
    still_open = (await support.referred(support.urn()))["urn"]
    unreferred = support.urn()
    reported = new_envelope(example("wja.intake.crime.reported.v1", urn=unreferred, force_code=support.force))
    await support.send(reported, new_envelope(example("wja.intake.case.closed.v1", urn=unreferred)))
    h = support.h(sub=(await support.pool.fetchval("SELECT idva FROM cases WHERE urn = $1", closed)))

    async def fetched(urn):
        return await support.pool.fetchval("SELECT count(*) FROM contacts WHERE urn = $1", urn) == 1

    async def police_closed():
        return await support.pool.fetchval("SELECT stage FROM cases WHERE urn = $1", unreferred) == "closed"

    await eventually(lambda: fetched(closed))
    await eventually(lambda: fetched(still_open))  # its copy must exist before we check it is kept
    await eventually(police_closed)
    closure = await support.client.post(f"/v1/cases/{closed}/closure", json={"reason": "post_trial"}, headers=h)
    assert closure.status_code == 200
    assert (await rows_of(support, closed))["outbox"] >= 1

    async def own_closure_applied():  # support reads its own SupportClosed back from the broker
        return await support.pool.fetchval(
            "SELECT count(*) FROM entries WHERE urn = $1 AND event_type = 'wja.support.support.closed.v1'", closed
        )

    # Only then may the clock jump past the retention period: a case erased before its own closure came back
    # would be made again by it (a year of retention leaves no such race outside this test's clock).
    await eventually(own_closure_applied)

    days = support.settings.retention_days
    support.clock.advance(timedelta(days=days - 1))
    assert await retention.purge(support.pool, support.clock.now(), days) == 0  # not yet
    support.clock.advance(timedelta(days=2))

    async def gone(urn):
        return await rows_of(support, urn) == {"cases": 0, "entries": 0, "contacts": 0, "outbox": 0}

    await eventually(lambda: gone(closed))  # the scheduled job
    await eventually(lambda: gone(unreferred))
    kept = await rows_of(support, still_open)
    assert kept["cases"] == 1 and kept["entries"] >= 2 and kept["contacts"] == 1
    timeline = await support.client.get(f"/v1/cases/{closed}/timeline", headers=h)
    assert timeline.status_code == 404
    assert await retention.purge(support.pool, support.clock.now(), days) == 0  # idempotent


async def test_a_replayed_event_of_a_purged_case_does_not_bring_it_back(support):
    urn = support.urn()
    reported = new_envelope(example("wja.intake.crime.reported.v1", urn=urn, force_code=support.force))
    closed = new_envelope(example("wja.intake.case.closed.v1", urn=urn))
    await support.send(reported, closed)

    async def police_closed():
        return await support.pool.fetchval("SELECT stage FROM cases WHERE urn = $1", urn) == "closed"

    await eventually(police_closed)
    later = support.clock.now() + timedelta(days=support.settings.retention_days + 1)
    assert await retention.purge(support.pool, later, support.settings.retention_days) >= 1
    replayed = []
    for offset, env in enumerate((reported, closed), start=10**9):
        key, value, headers = to_record(env)
        replayed.append(Record("wja.intake.case.v1", 0, offset, key, value, tuple(headers)))
    await support.app.state.runtime.consumer.process(replayed)  # a producer's republish
    assert await support.pool.fetchval("SELECT count(*) FROM cases WHERE urn = $1", urn) == 0
    assert await support.pool.fetchval("SELECT count(*) FROM entries WHERE urn = $1", urn) == 0
