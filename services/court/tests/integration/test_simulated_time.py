"""Simulated time at court: listings dated by their cause, no outcome before its hearing sits."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from wja_cli.testing import publish, served
from wja_court.bootstrap import create_app
from wja_court.config import CourtSettings
from wja_platform import simtime
from wja_platform.clock import Clock
from wja_schemas import new_envelope
from wja_schemas.examples import example

from .conftest import Court, court_settings, iso

pytestmark = pytest.mark.integration
T0 = datetime(2030, 3, 4, 12, tzinfo=UTC)  # a Monday, years from the wall clock


@pytest.fixture
async def sim_court(stack):
    settings = court_settings() | {"parking_retry_seconds": 0.2, "simulation": True}
    async with served(stack, "court", create_app, CourtSettings, Court, Clock(), **settings) as c:
        yield c


def at(court: Court, when: datetime) -> dict[str, str]:
    return {**court.h(), simtime.HEADER: simtime.sign(simtime.secret(court.settings), when)}


async def charged_at(court: Court, when: datetime, plea: str) -> str:
    urn = f"{court.force}CT{uuid.uuid4().int % 90000 + 10000}30"
    payload = example(
        "wja.charging.decision.made.v1",
        urn=urn,
        decided_at=when,
        force_code=court.force,
        anticipated_plea=plea,
        remanded=False,
    )
    await publish(court.settings.kafka_bootstrap_servers, new_envelope(payload, time=when))
    await court.hearings(urn)
    return urn


async def events(court: Court, urn: str, ce_type: str) -> list[dict]:
    rows = await court.pool.fetch("SELECT value FROM outbox WHERE urn = $1 AND ce_type = $2 ORDER BY id", urn, ce_type)
    return [json.loads(r["value"]) for r in rows]


async def test_results_and_sentences_wait_for_their_hearing_in_simulated_time(sim_court):
    court = sim_court
    for days in (14, 15, 36, 37):
        await court.client.post(
            "/v1/sessions",
            json={"court_code": court.code, "starts_at": iso(T0 + timedelta(days=days, hours=-2)), "capacity": 5},
            headers=at(court, T0),
        )
    urn = await charged_at(court, T0, "guilty")
    first = (await court.hearings(urn))[0]
    sits = datetime.fromisoformat(first["starts_at"])
    assert sits == T0 + timedelta(days=14, hours=-2)  # 14 days after the charge's own (simulated) date
    listed = await events(court, urn, "wja.court.hearing.listed.v1")
    assert listed[0]["listed_at"] == "2030-03-04T12:00:00Z"  # applied at its cause's time, not on arrival

    path = f"/v1/hearings/{first['hearing_id']}/result"
    early = await court.client.post(path, json={"result": "guilty_plea"}, headers=at(court, sits - timedelta(days=3)))
    assert early.status_code == 409, early.text
    assert early.json()["errors"][0]["field"] == "header.WJA-Sim-Time"
    ok = await court.client.post(path, json={"result": "guilty_plea"}, headers=at(court, sits + timedelta(hours=1)))
    assert ok.status_code == 200, ok.text
    resulted = await events(court, urn, "wja.court.hearing.resulted.v1")
    assert resulted[0]["resulted_at"] == iso(sits + timedelta(hours=1))

    sentencing = next(h for h in await court.hearings(urn) if h["type"] == "sentencing")
    sentenced_on = datetime.fromisoformat(sentencing["starts_at"])
    assert sentenced_on >= sits + timedelta(days=21)
    body = {"disposal": "community_order"}
    early = await court.client.post(
        f"/v1/cases/{urn}/sentence", json=body, headers=at(court, sentenced_on - timedelta(hours=1))
    )
    assert early.status_code == 409, early.text
    ok = await court.client.post(
        f"/v1/cases/{urn}/sentence", json=body, headers=at(court, sentenced_on + timedelta(hours=2))
    )
    assert ok.status_code == 200, ok.text
    imposed = await events(court, urn, "wja.court.sentence.imposed.v1")
    assert imposed[0]["imposed_at"] == iso(sentenced_on + timedelta(hours=2))


async def test_a_verdict_waits_for_its_trial_and_the_real_clock_is_not_checked(sim_court):
    court = sim_court
    for days in (28, 29, 40):
        await court.client.post(
            "/v1/sessions",
            json={"court_code": court.code, "starts_at": iso(T0 + timedelta(days=days, hours=-2)), "capacity": 5},
            headers=court.h(),
        )
    urn = await charged_at(court, T0, "not_guilty")
    first = (await court.hearings(urn))[0]
    sits = datetime.fromisoformat(first["starts_at"])
    # without a simulated time a result is recorded whenever (journey.md: courts record late, the clock is
    # not checked), here years before the hearing sits
    plea = await court.client.post(
        f"/v1/hearings/{first['hearing_id']}/result", json={"result": "not_guilty_plea"}, headers=court.h()
    )
    assert plea.status_code == 200, plea.text
    trial = next(h for h in await court.hearings(urn) if h["type"] == "trial")
    trial_sits = datetime.fromisoformat(trial["starts_at"])
    assert trial_sits >= sits + timedelta(days=7)
    verdict = {"verdict": "acquitted"}
    early = await court.client.post(
        f"/v1/cases/{urn}/verdict", json=verdict, headers=at(court, trial_sits - timedelta(days=1))
    )
    assert early.status_code == 409, early.text
    assert "before its hearing sits" in early.json()["message"]
    ok = await court.client.post(
        f"/v1/cases/{urn}/verdict", json=verdict, headers=at(court, trial_sits + timedelta(hours=3))
    )
    assert ok.status_code == 200, ok.text
