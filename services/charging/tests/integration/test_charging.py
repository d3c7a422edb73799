"""The CPS service on the real broker and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wja_charging.service_layer.handlers import finalise_overdue
from wja_cli.testing import eventually, publish, server_spans
from wja_platform import metrics
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration


async def outbox_types(ch, urn):
    rows = await ch.pool.fetch("SELECT ce_type, value FROM outbox WHERE urn = $1 ORDER BY id", urn)
    return rows


async def test_charge_decision_is_published_with_statutes_and_without_the_reason(charging):
    urn = await charging.file(risk="high")
    r = await charging.decide(urn)
    assert r.status_code == 200, r.text
    assert r.json()["charges"][0]["statute"] == "OAPA 1861 s47"
    rows = await outbox_types(charging, urn)
    assert [x["ce_type"] for x in rows] == ["wja.charging.decision.made.v1"]
    value = bytes(rows[0]["value"])
    assert b'"either_way"' in value and b'"risk_level":"high"' in value
    assert b"BWV at her address" not in value
    again = await charging.decide(urn)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "charge", "charges": []}, "charges"),
        ({"decision": "no_further_action", "charges": []}, "basis"),
        ({"decision": "further_material_required", "charges": []}, "due_date"),
        (
            {"decision": "further_material_required", "charges": [], "due_date": "2026-09-01"},
            "due_date",
        ),
        ({"test": "threshold"}, "bail_risk_justification"),
        ({"decision": "no_further_action", "basis": "evidential"}, "charges"),
        ({"charges": [{"offence_code": "burglary"}]}, "charges.0.offence_code"),
        ({"decision": "maybe"}, "decision"),
    ],
)
async def test_invalid_decisions_name_the_field(charging, body, field):
    urn = await charging.file()
    r = await charging.decide(urn, **body)
    assert r.status_code == 422
    assert field in {e["field"] for e in r.json()["errors"]}


async def test_threshold_test_needs_justification_and_sets_a_review_date(charging):
    urn = await charging.file()
    r = await charging.decide(urn, test="threshold", bail_risk_justification="substantial risk of further offences")
    assert r.status_code == 200
    assert r.json()["review_by"] == "2026-10-12"


async def test_queue_puts_the_oldest_high_risk_file_first(charging):
    now = charging.clock.now()
    old_std = await charging.file("standard", now - timedelta(days=20))
    new_high = await charging.file("high", now - timedelta(days=1))
    old_high = await charging.file("high", now - timedelta(days=9))
    r = await charging.client.get("/v1/cases?status=awaiting_decision", headers=charging.h())
    mine = [f["urn"] for f in r.json() if f["urn"] in {old_std, new_high, old_high}]
    assert mine == [old_high, new_high, old_std]
    assert next(f for f in r.json() if f["urn"] == old_std)["age_days"] == 20


async def test_action_plan_overdue_is_administratively_finalised(charging):
    urn = await charging.file()
    r = await charging.decide(urn, decision="further_material_required", charges=[], due_date="2026-09-28")
    assert r.json()["status"] == "further_material_required"
    deps = charging.app.state.deps
    assert urn not in await finalise_overdue(deps)
    charging.clock.set(datetime(2026, 9, 29, 9, tzinfo=UTC))
    assert urn in await finalise_overdue(deps)
    view = (await charging.client.get(f"/v1/cases/{urn}", headers=charging.h())).json()
    assert view["status"] == "finalised"
    assert [x["ce_type"] for x in await outbox_types(charging, urn)][-1] == "wja.charging.file.finalised.v1"


async def test_further_material_returns_the_file_for_a_decision(charging):
    urn = await charging.file()
    await charging.decide(urn, decision="further_material_required", charges=[], due_date="2026-10-01")
    await publish(
        charging.settings.kafka_bootstrap_servers,
        new_envelope(example("wja.intake.further_material.submitted.v1", urn=urn)),
    )

    async def back():
        v = (await charging.client.get(f"/v1/cases/{urn}", headers=charging.h())).json()
        return v["status"] == "awaiting_decision" and "medical" in v["evidence"]

    await eventually(back)
    assert (await charging.decide(urn)).status_code == 200


async def test_days_to_decision_counts_from_the_request(charging):
    urn = await charging.file(requested_at=charging.clock.now() - timedelta(days=6))
    r = await charging.decide(urn, decision="out_of_court_disposal", charges=[])
    assert r.json()["days_to_decision"] == 6


async def test_vrr_windows_in_working_days(charging):
    urn = await charging.file()
    nfa = await charging.decide(urn, decision="no_further_action", charges=[], basis="evidential")
    assert nfa.json()["suggested_outcome_code"] == "15"
    # decided Mon 14 Sep 2026; 10 working days later is Mon 28 Sep (asked by the IDVA service)
    on_time = await charging.client.post(
        f"/v1/cases/{urn}/reviews",
        json={"requested_at": "2026-09-28T12:00:00Z"},
        headers=charging.h("idva", "service", "wja-support"),
    )
    assert on_time.status_code == 201 and on_time.json()["late"] is False
    twice = await charging.client.post(
        f"/v1/cases/{urn}/reviews",
        json={"requested_at": "2026-09-28T12:00:00Z"},
        headers=charging.h(),
    )
    assert twice.status_code == 409
    await charging.client.post(
        f"/v1/reviews/{on_time.json()['review_id']}/decision",
        json={"outcome": "upheld", "reason": "decision stands"},
        headers=charging.h(),
    )
    late = await charging.client.post(
        f"/v1/cases/{urn}/reviews",
        json={"requested_at": "2026-09-29T12:00:00Z"},
        headers=charging.h(),
    )
    assert late.status_code == 201 and late.json()["late"] is True


async def test_vrr_across_a_bank_holiday_and_outside_three_months(charging):
    charging.clock.set(datetime(2026, 12, 18, 12, tzinfo=UTC))  # Friday before Christmas
    urn = await charging.file()
    await charging.decide(urn, decision="no_further_action", charges=[], basis="public_interest")
    # 10 working days after Fri 18 Dec 2026 skip 25, 28 Dec (Boxing Day substitute) and 1 Jan: Tue 5 Jan 2027
    r = await charging.client.post(
        f"/v1/cases/{urn}/reviews",
        json={"requested_at": "2027-01-05T12:00:00Z"},
        headers=charging.h(),
    )
    assert r.json()["late"] is False
    await charging.client.post(
        f"/v1/reviews/{r.json()['review_id']}/decision",
        json={"outcome": "upheld", "reason": "stands"},
        headers=charging.h(),
    )
    too_late = await charging.client.post(
        f"/v1/cases/{urn}/reviews",
        json={"requested_at": "2027-03-19T12:00:00Z"},
        headers=charging.h(),
    )
    assert too_late.status_code == 409 and "3-month" in too_late.json()["message"]


async def test_overturned_review_allows_a_new_decision(charging):
    urn = await charging.file()
    await charging.decide(urn, decision="no_further_action", charges=[], basis="evidential")
    charge_refused = await charging.decide(urn)
    assert charge_refused.status_code == 409
    review = (
        await charging.client.post(
            f"/v1/cases/{urn}/reviews",
            json={"requested_at": "2026-09-15T09:00:00Z"},
            headers=charging.h(),
        )
    ).json()
    r = await charging.client.post(
        f"/v1/reviews/{review['review_id']}/decision",
        json={"outcome": "overturned", "reason": "evidence was there"},
        headers=charging.h(),
    )
    assert r.status_code == 200
    assert (await charging.decide(urn)).status_code == 200
    types = [x["ce_type"] for x in await outbox_types(charging, urn)]
    assert types == [
        "wja.charging.decision.made.v1",
        "wja.charging.review.requested.v1",
        "wja.charging.review.decided.v1",
        "wja.charging.decision.made.v1",
    ]


async def test_review_needs_a_qualifying_decision(charging):
    urn = await charging.file()
    await charging.decide(urn)
    r = await charging.client.post(
        f"/v1/cases/{urn}/reviews",
        json={"requested_at": "2026-09-15T09:00:00Z"},
        headers=charging.h(),
    )
    assert r.status_code == 409


async def test_discontinuance_only_after_a_charge(charging):
    urn = await charging.file()
    body = {"reason": "victim_retraction"}
    assert (
        await charging.client.post(f"/v1/cases/{urn}/discontinuance", json=body, headers=charging.h())
    ).status_code == 409
    await charging.decide(urn)
    r = await charging.client.post(f"/v1/cases/{urn}/discontinuance", json=body, headers=charging.h())
    assert r.status_code == 200
    assert (
        await charging.client.post(f"/v1/cases/{urn}/discontinuance", json=body, headers=charging.h())
    ).status_code == 409
    bad = await charging.client.post(f"/v1/cases/{urn}/discontinuance", json={"reason": "bored"}, headers=charging.h())
    assert bad.status_code == 422


async def test_refusals_by_agency_and_role(charging):
    urn = await charging.file()
    c = charging.client
    body = {
        "decision": "charge",
        "test": "full_code",
        "charges": [{"offence_code": "abh"}],
        "reason": "x",
    }
    assert (await c.post(f"/v1/cases/{urn}/decisions", json=body)).status_code == 401
    for agency, role in (
        ("police", "officer"),
        ("court", "listing_officer"),
        ("idva", "idva"),
        ("cps", "analyst"),
    ):
        r = await c.post(f"/v1/cases/{urn}/decisions", json=body, headers=charging.h(agency, role))
        assert r.status_code == 403, (agency, role)
    assert (await c.get("/v1/cases", headers=charging.h("police", "officer"))).status_code == 403
    assert (await c.get("/v1/cases/01ZZ0000126", headers=charging.h())).status_code == 404
    assert (await c.post("/v1/cases/01ZZ0000126/decisions", json=body, headers=charging.h())).status_code == 404


async def test_redelivered_request_is_applied_once(charging):
    urn = "01RD" + "12345" + "26"
    env = new_envelope(example("wja.intake.charging.requested.v1", urn=urn))
    await charging.file(envelope=env)
    await charging.decide(urn, decision="further_material_required", charges=[], due_date="2026-10-01")
    duplicates = metrics.EVENTS_DUPLICATE.labels("charging")
    before = duplicates._value.get()
    await publish(charging.settings.kafka_bootstrap_servers, env)  # the same event again

    async def absorbed():
        return duplicates._value.get() > before

    await eventually(absorbed)
    view = (await charging.client.get(f"/v1/cases/{urn}", headers=charging.h())).json()
    assert view["status"] == "further_material_required"
    count = await charging.pool.fetchval("SELECT count(*) FROM inbox WHERE urn = $1", urn)
    assert count == 1


async def test_a_review_decision_span_carries_the_case_urn_though_the_path_names_only_the_review(charging):
    urn = await charging.file()
    await charging.decide(urn, decision="no_further_action", charges=[], basis="evidential")
    review = await charging.client.post(
        f"/v1/cases/{urn}/reviews", json={"requested_at": "2026-09-15T09:00:00Z"}, headers=charging.h()
    )
    path = f"/v1/reviews/{review.json()['review_id']}/decision"
    r = await charging.client.post(path, json={"outcome": "upheld", "reason": "stands"}, headers=charging.h())
    assert r.status_code == 200, r.text
    spans = server_spans(path)
    assert len(spans) == 1 and spans[0]["attributes"]["wja.case.urn"] == urn
