"""CPS files are deleted a retention period after they are finished, by a scheduled job."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from wja_charging.adapters.repository import Repository
from wja_charging.bootstrap import create_app
from wja_charging.config import ChargingSettings
from wja_charging.service_layer import retention
from wja_cli.testing import eventually, served
from wja_platform import retention as platform_retention
from wja_platform.clock import FixedClock

from .conftest import Charging

pytestmark = pytest.mark.integration
DAYS = 30


@pytest.fixture
async def charging(stack):
    clock = FixedClock(datetime(2026, 9, 14, 12, tzinfo=UTC))
    async with served(
        stack,
        "charging",
        create_app,
        ChargingSettings,
        Charging,
        clock,
        finalisation_check_seconds=3600,
        retention_days=DAYS,
        purge_check_seconds=0.2,
    ) as app:
        yield app


async def rows_of(ch, urn) -> dict[str, int]:
    counts = {}
    for table in ("files", "decisions", "reviews", "outbox"):
        counts[table] = await ch.pool.fetchval(f"SELECT count(*) FROM {table} WHERE urn = $1", urn)
    return counts


async def test_finished_files_go_after_the_retention_period_and_others_stay(charging, caplog):
    caplog.set_level(logging.INFO)
    finished = await charging.file()
    await charging.decide(finished, decision="no_further_action", charges=[], basis="evidential")
    waiting = await charging.file()
    under_review = await charging.file()
    await charging.decide(under_review, decision="no_further_action", charges=[], basis="public_interest")
    review = await charging.client.post(
        f"/v1/cases/{under_review}/reviews", json={"requested_at": "2026-09-15T09:00:00Z"}, headers=charging.h()
    )
    assert review.status_code == 201
    charging.clock.advance(timedelta(days=DAYS - 1))
    recent = await charging.file()
    await charging.decide(recent, decision="charge")
    assert (await rows_of(charging, finished))["outbox"] == 1
    await eventually(lambda: _published(charging))

    charging.clock.advance(timedelta(days=2))  # finished + 31 days; recent + 2 days

    async def gone():
        return (await rows_of(charging, finished)) == {"files": 0, "decisions": 0, "reviews": 0, "outbox": 0}

    await eventually(gone)  # the scheduled job did it
    lookup = await charging.client.get(f"/v1/cases/{finished}", headers=charging.h())
    assert lookup.status_code == 404
    for kept in (waiting, under_review, recent):
        assert (await rows_of(charging, kept))["files"] == 1
    assert (await rows_of(charging, under_review))["reviews"] == 1
    again = await retention.purge(charging.pool, charging.clock.now(), DAYS)
    assert again == 0  # idempotent
    logged = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("wja"))  # not the test's httpx
    assert "1 cases past their retention period purged" in logged
    assert all(urn not in logged for urn in (finished, waiting, under_review, recent))


async def _published(ch) -> bool:
    return await ch.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_a_purge_works_in_batches_each_whole(charging):
    urns = []
    for _ in range(5):
        urn = await charging.file()
        await charging.decide(urn, decision="out_of_court_disposal", charges=[])
        urns.append(urn)
    await eventually(lambda: _published(charging))
    cutoff = charging.clock.now() + timedelta(days=DAYS + 1)
    calls = []

    async def counting(conn, cutoff, limit):
        picked = await Repository(conn).due_for_erasure(cutoff, limit)
        calls.append(len(picked))
        return picked

    purged = await platform_retention.purge(
        charging.pool, cutoff, DAYS, counting, lambda conn, urns: Repository(conn).erase(urns), batch_size=2
    )
    assert purged == 5 and calls == [2, 2, 1]
    assert await charging.pool.fetchval("SELECT count(*) FROM files WHERE urn = ANY($1::text[])", urns) == 0
