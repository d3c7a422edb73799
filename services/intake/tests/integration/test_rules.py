"""Police rules through the public API (docs/rules.md names each rule's source)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from wja_schemas import intake as ev

from .conftest import report

pytestmark = pytest.mark.integration


async def test_a_report_of_an_offence_before_it_existed_lists_every_such_offence(intake):
    offences = [
        {"code": "strangulation", "occurred_at": "2022-06-06T12:00:00Z"},  # SCA 2015 s75A: from 7 June 2022
        {"code": "abh", "occurred_at": "2022-06-06T12:00:00Z"},
        {"code": "coercive_control", "occurred_at": "2015-12-01T12:00:00Z"},  # s76: from 29 December 2015
    ]
    r = await intake.client.post("/v1/reports", json=report(offences=offences), headers=intake.h(force="01"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["offences.0.occurred_at", "offences.2.occurred_at"]


async def test_bail_runs_from_the_day_after_arrest_and_extends_only_when_it_extends(intake):
    urn = await intake.new_case()
    c, h = intake.client, intake.h()
    intake.clock.set(datetime(2027, 2, 2, 10, tzinfo=UTC))
    await c.post(f"/v1/cases/{urn}/arrests", json={"arrested_at": "2027-01-31T10:00:00Z"}, headers=h)
    r = await c.post(f"/v1/cases/{urn}/bail", json={"kind": "pre_charge_bail", "until": "2027-04-30"}, headers=h)
    bail = r.json()["bail"]
    assert (bail["bail_start"], bail["authorised_until"], bail["authorised_period_exceeded"]) == (
        "2027-02-01",
        "2027-04-30",
        False,
    )
    body = {"kind": "pre_charge_bail", "until": "2027-04-30", "conditions": ["no_contact_victim"]}
    r = await c.post(f"/v1/cases/{urn}/bail", json=body, headers=h)
    assert r.json()["bail"]["extensions"] == 0  # same date, new conditions: not an extension
    r = await c.post(f"/v1/cases/{urn}/bail", json={"kind": "pre_charge_bail", "until": "2027-08-01"}, headers=h)
    bail = r.json()["bail"]
    assert (bail["extensions"], bail["authorised_until"], bail["authorised_period_exceeded"]) == (1, "2027-07-31", True)


async def test_bail_until_before_the_decision_and_rui_conditions_are_both_listed(intake):
    urn = await intake.new_case()
    c, h = intake.client, intake.h()
    r = await c.post(f"/v1/cases/{urn}/bail", json={"kind": "pre_charge_bail", "until": "2026-09-13"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "until"
    assert "2026-09-13" not in r.text  # values are never echoed
    body = {"kind": "released_under_investigation", "conditions": ["curfew"]}
    r = await c.post(f"/v1/cases/{urn}/bail", json=body, headers=h)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["conditions"]


async def test_dvpn_hearing_deadline_and_dvpo_duration(intake):
    urn = await intake.new_case()
    c, h = intake.client, intake.h()
    notice = {"kind": "DVPN", "issued_at": "2026-05-23T09:00:00Z"}  # Saturday before the Spring bank holiday
    r = await c.post(f"/v1/cases/{urn}/protective-notices", json=notice, headers=h)
    assert r.json()["notice"]["order_hearing_by"] == "2026-05-27T09:00:00+00:00"
    order = {"kind": "DVPO", "granted": True, "decided_at": "2026-05-26T11:00:00Z", "until": "2026-06-24"}
    r = await c.post(f"/v1/cases/{urn}/protective-orders", json=order, headers=h)
    assert r.status_code == 422 and r.json()["errors"] == [
        {"field": "until", "message": "a DVPO lasts 14 to 28 days from the day it is made (CSA 2010 s28(10))"}
    ]
    r = await c.post(f"/v1/cases/{urn}/protective-orders", json={**order, "until": "2026-06-23"}, headers=h)
    assert r.status_code == 200


async def test_time_limits_from_the_first_victim_statement(intake):
    offences = [
        {"code": "common_assault", "occurred_at": "2026-01-10T20:00:00Z"},
        {"code": "harassment", "occurred_at": "2026-01-10T20:00:00Z"},
    ]
    urn = await intake.new_case(offences=offences)
    c, h = intake.client, intake.h()
    view = (await c.get(f"/v1/cases/{urn}", headers=h)).json()
    assert view["clocks"]["time_limits"] == [
        {"offence_code": "common_assault", "last_day": "2026-07-10", "basis": "MCA 1980 s127"},
        {"offence_code": "harassment", "last_day": "2026-07-10", "basis": "MCA 1980 s127"},
    ]
    req = {"evidence": ["victim_statement", "bwv"], "requested_test": "full_code"}
    assert (await c.post(f"/v1/cases/{urn}/charging-requests", json=req, headers=h)).status_code == 200
    view = (await c.get(f"/v1/cases/{urn}", headers=h)).json()
    assert view["first_statement_at"] == "2026-09-14T12:00:00+00:00"
    assert view["clocks"]["time_limits"][0] == {
        "offence_code": "common_assault",
        "last_day": "2027-03-14",  # 6 months from the statement, within 2 years of the offence
        "basis": "CJA 1988 s39A",
    }
    assert view["clocks"]["time_limits"][1]["basis"] == "MCA 1980 s127"
    row = await intake.pool.fetchrow(
        "SELECT value FROM outbox WHERE urn = $1 AND ce_type = $2", urn, ev.ChargingRequested.ce_type
    )
    event = ev.ChargingRequested.model_validate_json(row["value"])
    assert event.first_statement_at == datetime(2026, 9, 14, 12, tzinfo=UTC)
    assert [t.date().isoformat() for t in event.offences_occurred_at] == ["2026-01-10", "2026-01-10"]


async def test_a_report_with_the_victims_statement_starts_s39a_at_the_report(intake):
    urn = await intake.new_case(evidence=["victim_statement"])
    view = (await intake.client.get(f"/v1/cases/{urn}", headers=intake.h())).json()
    assert view["first_statement_at"] == "2026-09-14T10:00:00+00:00"
    assert view["clocks"]["s39a_time_limit"] == "2027-03-14"
