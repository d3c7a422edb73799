"""The Victims' Code outcome chain and who told the victim (sources in docs/rules.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration


def ev(ce_type, urn, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


async def test_an_outcome_is_court_to_wcu_in_5_working_days_then_wcu_to_victim_in_1(support):
    urn = support.urn()
    case = await support.referred(urn)
    monday = datetime(2026, 9, 14, 15, tzinfo=UTC)
    await support.send(
        ev("wja.court.hearing.resulted.v1", urn, result="guilty_plea", resulted_at=monday),
        ev("wja.court.hearing.resulted.v1", urn, hearing_id="h-0", result="not_guilty_plea", resulted_at=monday),
        ev("wja.court.restraining_order.made.v1", urn, made_at=monday),
    )
    body = await support.timeline(urn, case["idva"], wait_for=lambda b: len(b["entries"]) >= 6)
    results = [e for e in body["entries"] if e["event_type"] == "wja.court.hearing.resulted.v1"]
    plea = next(e for e in results if "guilty plea" in e["summary"] and "not" not in e["summary"])
    assert plea["duty_holder"] == "wcu"
    assert plea["steps"] == [
        {"duty_holder": "court", "by": "2026-09-21T22:59:59Z"},  # 5 working days: Mon 21 Sep
        {"duty_holder": "wcu", "by": "2026-09-22T22:59:59Z"},  # 1 working day after the WCU has it
    ]
    assert plea["tell_victim_by"] == "2026-09-22T22:59:59Z"
    not_guilty = next(e for e in results if e is not plea)
    assert "duty_holder" not in not_guilty  # a not-guilty plea is told as a trial listing, not as an outcome
    order = next(e for e in body["entries"] if e["event_type"] == "wja.court.restraining_order.made.v1")
    assert (order["duty_holder"], order["tell_victim_by"]) == ("wcu", "2026-09-15T22:59:59Z")


async def test_who_told_the_victim_is_recorded_and_an_entry_is_told_once(support):
    urn = support.urn()
    case = await support.referred(urn)
    await support.send(ev("wja.intake.suspect.arrested.v1", urn, arrested_at=datetime(2026, 9, 14, 9, tzinfo=UTC)))
    h = support.h(sub=case["idva"])
    body = await support.timeline(urn, case["idva"], wait_for=lambda b: len(b["entries"]) >= 4)
    arrest = next(e for e in body["entries"] if e["event_type"] == "wja.intake.suspect.arrested.v1")
    contact = {"about": [arrest["id"]], "channel": "phone", "at": "2026-09-14T12:00:00Z", "told_by": "police"}
    r = await support.client.post(f"/v1/cases/{urn}/contacts", json=contact, headers=h)
    assert r.status_code == 200 and r.json()["told_by"] == "police" and r.json()["on_time"] == 1
    again = await support.client.post(f"/v1/cases/{urn}/contacts", json={**contact, "told_by": "idva"}, headers=h)
    assert again.status_code == 409 and "already told" in again.json()["message"]
    bad = await support.client.post(f"/v1/cases/{urn}/contacts", json={**contact, "told_by": "victim"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "told_by"
    body = await support.timeline(urn, case["idva"])
    arrest = next(e for e in body["entries"] if e["id"] == arrest["id"])
    assert (arrest["told_by"], arrest["channel"], arrest["told_at"]) == ("police", "phone", "2026-09-14T12:00:00Z")
    informed = await support.pool.fetch(
        "SELECT value FROM outbox WHERE urn = $1 AND ce_type = 'wja.support.victim.informed.v1'", urn
    )
    assert len(informed) == 1 and b'"told_by":"police"' in bytes(informed[0]["value"])


async def test_contact_told_by_defaults_to_the_callers_agency(support):
    urn = support.urn()
    case = await support.referred(urn)
    await support.send(ev("wja.intake.suspect.arrested.v1", urn, arrested_at=datetime(2026, 9, 14, 9, tzinfo=UTC)))
    body = await support.timeline(urn, case["idva"], wait_for=lambda b: len(b["entries"]) >= 4)
    arrest = next(e for e in body["entries"] if e["event_type"] == "wja.intake.suspect.arrested.v1")
    r = await support.client.post(
        f"/v1/cases/{urn}/contacts",
        json={"about": [arrest["id"]], "channel": "phone", "at": "2026-09-14T12:00:00Z"},
        headers=support.h(sub=case["idva"]),
    )
    assert r.json()["told_by"] == "idva"
