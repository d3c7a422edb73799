"""Court cases are deleted a retention period after they end, never while an order is in force."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wja_cli.testing import eventually, served
from wja_court.bootstrap import create_app
from wja_court.config import CourtSettings
from wja_court.service_layer import retention
from wja_platform.clock import FixedClock

from .conftest import NOW, Court, court_settings

pytestmark = pytest.mark.integration
DAYS = 30


@pytest.fixture
async def court(stack):
    settings = court_settings() | {"retention_days": DAYS, "purge_check_seconds": 0.2}
    async with served(stack, "court", create_app, CourtSettings, Court, FixedClock(NOW), **settings) as c:
        yield c


async def sentenced(court, order_until="none") -> str:
    urn = await court.charge(anticipated_plea="guilty")
    first = (await court.hearings(urn))[0]
    h = court.h()
    await court.client.post(f"/v1/hearings/{first['hearing_id']}/result", json={"result": "guilty_plea"}, headers=h)
    r = await court.client.post(f"/v1/cases/{urn}/sentence", json={"disposal": "fine"}, headers=h)
    assert r.status_code == 200
    if order_until != "none":
        body = {"basis": "conviction", "until": order_until, "conditions": ["no_contact_victim"]}
        order = await court.client.post(f"/v1/cases/{urn}/restraining-orders", json=body, headers=h)
        assert order.status_code == 200
    return urn


async def rows_of(court, urn) -> int:
    total = 0
    for table in ("cases", "hearings", "restraining_orders", "outbox"):
        total += await court.pool.fetchval(f"SELECT count(*) FROM {table} WHERE urn = $1", urn)
    return total


async def test_ended_cases_go_after_retention_and_orders_keep_theirs(court):
    await court.session(15, capacity=10)
    await court.session(40, capacity=10)
    done = await sentenced(court)
    for_ever = await sentenced(court, order_until=None)
    ten_days = await sentenced(court, order_until=(NOW + timedelta(days=10)).date().isoformat())
    pleaded = await court.charge(anticipated_plea="guilty")
    first = (await court.hearings(pleaded))[0]
    await court.client.post(
        f"/v1/hearings/{first['hearing_id']}/result", json={"result": "guilty_plea"}, headers=court.h()
    )
    assert await rows_of(court, done) > 0

    court.clock.advance(timedelta(days=DAYS + 1))

    async def gone(urn):
        return await rows_of(court, urn) == 0

    await eventually(lambda: gone(done))  # the scheduled job
    lookup = await court.client.get(f"/v1/cases/{done}/hearings", headers=court.h())
    assert lookup.status_code == 404
    for kept in (for_ever, ten_days, pleaded):
        assert await court.pool.fetchval("SELECT count(*) FROM cases WHERE urn = $1", kept) == 1

    court.clock.advance(timedelta(days=10))  # the ten-day order ended DAYS ago
    await eventually(lambda: gone(ten_days))
    for kept in (for_ever, pleaded):
        assert await court.pool.fetchval("SELECT count(*) FROM cases WHERE urn = $1", kept) == 1
    assert await retention.purge(court.pool, court.clock.now(), DAYS) == 0  # nothing more: idempotent
