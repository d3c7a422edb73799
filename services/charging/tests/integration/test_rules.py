"""CPS rules through the public API, each with its source in docs/rules.md."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from wja_schemas import charging as ev
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def file_with(charging, codes, occurred, statement=None) -> str:
    urn = f"01RU{datetime.now(UTC).microsecond % 90000 + 10000:05d}26"
    env = new_envelope(
        example(
            "wja.intake.charging.requested.v1",
            urn=urn,
            offence_codes=codes,
            offences_occurred_at=[at(o) for o in occurred],
            first_statement_at=at(statement) if statement else None,
            requested_at=charging.clock.now(),
        )
    )
    return await charging.file(envelope=env)


async def test_a_summary_charge_past_its_time_limit_is_409_naming_the_limit(charging):
    urn = await file_with(charging, ["harassment"], ["2026-01-10T20:00:00Z"])
    r = await charging.decide(urn, charges=[{"offence_code": "harassment"}])
    assert r.status_code == 409
    assert "2026-07-10" in r.json()["message"] and "MCA 1980 s127" in r.json()["message"]
    view = (await charging.client.get(f"/v1/cases/{urn}", headers=charging.h())).json()
    assert view["time_limits"] == [{"offence_code": "harassment", "last_day": "2026-07-10", "basis": "MCA 1980 s127"}]
    assert (await charging.decide(urn, charges=[{"offence_code": "harassment_fear_of_violence"}])).status_code == 200


async def test_common_assault_with_a_statement_runs_under_s39a_and_warns_near_the_limit(charging):
    charging.clock.set(at("2026-12-05T12:00:00Z"))
    urn = await file_with(charging, ["common_assault"], ["2024-12-15T20:00:00Z"], statement="2026-06-30T12:00:00Z")
    r = await charging.decide(urn, charges=[{"offence_code": "common_assault"}])
    assert r.status_code == 200, r.text
    (warning,) = r.json()["warnings"]
    assert "2026-12-15" in warning and "CJA 1988 s39A" in warning


async def test_strangulation_before_its_commencement_is_422(charging):
    urn = await file_with(charging, ["strangulation"], ["2022-06-01T20:00:00Z"])
    r = await charging.decide(urn, charges=[{"offence_code": "strangulation"}, {"offence_code": "abh"}])
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "charges.0.offence_code", "message": "strangulation is an offence only from 2022-06-07"}
    ]


async def test_a_decision_breaking_several_rules_lists_each(charging):
    urn = await charging.file()
    r = await charging.decide(urn, decision="no_further_action", test="threshold")
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["charges", "basis", "test", "bail_risk_justification"]


async def test_a_review_after_three_months_needs_exceptional_and_a_reason(charging):
    urn = await charging.file()
    await charging.decide(urn, decision="no_further_action", charges=[], basis="evidential")
    body = {"requested_at": "2027-01-05T12:00:00Z"}  # decided 14 Sep 2026
    r = await charging.client.post(f"/v1/cases/{urn}/reviews", json=body, headers=charging.h())
    assert r.status_code == 409 and "exceptional" in r.json()["message"]
    r = await charging.client.post(f"/v1/cases/{urn}/reviews", json={**body, "exceptional": True}, headers=charging.h())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = await charging.client.post(
        f"/v1/cases/{urn}/reviews",
        json={**body, "exceptional": True, "reason": "victim in hospital until December"},
        headers=charging.h(),
    )
    assert r.status_code == 201 and r.json()["exceptional"] is True and r.json()["late"] is True
    row = await charging.pool.fetchrow(
        "SELECT value FROM outbox WHERE urn = $1 AND ce_type = $2", urn, ev.ReviewRequested.ce_type
    )
    assert ev.ReviewRequested.model_validate_json(row["value"]).exceptional is True
    assert b"hospital" not in bytes(row["value"])
