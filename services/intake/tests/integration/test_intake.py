"""The police API on the real broker and PostgreSQL: success paths, refusals, privacy, consumed decisions."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from wja_cli.testing import eventually, publish
from wja_schemas import new_envelope
from wja_schemas.examples import example

from .conftest import VICTIM, report

pytestmark = pytest.mark.integration


async def outbox(intake, urn):
    rows = await intake.pool.fetch("SELECT ce_type, value, headers FROM outbox WHERE urn = $1 ORDER BY id", urn)
    return rows


async def test_report_mints_a_urn_and_emits_references_only(intake):
    r = await intake.client.post("/v1/reports", json=report(), headers=intake.h(force="01"))
    assert r.status_code == 201
    body = r.json()
    assert re.fullmatch(r"01[A-Z0-9]{2}\d{5}26", body["urn"])
    assert body["risk_level"] == "high"
    assert re.fullmatch(r"V01-[0-9a-f]{16}", body["victim_ref"])
    rows = await outbox(intake, body["urn"])
    assert [r["ce_type"] for r in rows] == [
        "wja.intake.crime.reported.v1",
        "wja.intake.risk.assessed.v1",
        "wja.intake.victim.referred.v1",
    ]
    blob = b"".join(bytes(r["value"]) + str(r["headers"]).encode() for r in rows)
    for value in (
        "Harriet",
        "07700 900123",
        "harriet.quill@example.org",
        "Larch Row",
        "1987-03-14",
        "after 6pm",
    ):
        assert value.encode() not in blob


async def test_same_victim_same_force_gets_the_same_victim_ref(intake):
    a = (await intake.client.post("/v1/reports", json=report(), headers=intake.h())).json()
    b = (await intake.client.post("/v1/reports", json=report(), headers=intake.h())).json()
    assert a["victim_ref"] == b["victim_ref"] and a["urn"] != b["urn"]


async def test_dash_bands_and_dara_level(intake):
    for score, level in ((9, "standard"), (10, "medium"), (13, "medium"), (14, "high")):
        r = await intake.client.post(
            "/v1/reports",
            json=report(risk={"tool": "DASH", "score": score}, referral_basis="none"),
            headers=intake.h(),
        )
        assert r.json()["risk_level"] == level
    r = await intake.client.post(
        "/v1/reports", json=report(risk={"tool": "DARA", "level": "medium"}), headers=intake.h()
    )
    assert r.json()["risk_level"] == "medium"
    r = await intake.client.post("/v1/reports", json=report(risk={"tool": "DARA"}), headers=intake.h())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "risk.level"


async def test_urns_are_unique_under_concurrent_reports(intake):
    results = await asyncio.gather(
        *(intake.client.post("/v1/reports", json=report(referral_basis="none"), headers=intake.h()) for _ in range(30))
    )
    urns = [r.json()["urn"] for r in results]
    assert all(r.status_code == 201 for r in results)
    assert len(set(urns)) == 30
    assert sorted(int(u[4:9]) for u in urns) == list(
        range(min(int(u[4:9]) for u in urns), min(int(u[4:9]) for u in urns) + 30)
    )


async def test_invalid_report_names_every_field_and_echoes_nothing(intake):
    bad = report(
        force_code="1",
        offences=[{"code": "burglary", "occurred_at": "yesterday"}],
        victim={**VICTIM, "email": "Harriet-at-nowhere", "date_of_birth": "14/03/1987"},
        referral_basis="maybe",
    )
    r = await intake.client.post("/v1/reports", json=bad, headers=intake.h())
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {
        "force_code",
        "offences.0.code",
        "offences.0.occurred_at",
        "victim.email",
        "victim.date_of_birth",
        "referral_basis",
    } <= fields
    assert "Harriet" not in r.text and "14/03/1987" not in r.text and "burglary" not in r.text


async def test_refusals(intake):
    urn = await intake.new_case()
    c = intake.client
    assert (await c.get(f"/v1/cases/{urn}")).status_code == 401
    assert (await c.get(f"/v1/cases/{urn}", headers={"Authorization": "Bearer not.a.token"})).status_code == 401
    assert (await c.get(f"/v1/cases/{urn}", headers=intake.h("cps", "prosecutor"))).status_code == 403
    assert (await c.get(f"/v1/cases/{urn}", headers=intake.h(force="02"))).status_code == 403
    assert (await c.post("/v1/reports", json=report(), headers=intake.h(force="02"))).status_code == 403
    assert (await c.get("/v1/cases/01YE9999926", headers=intake.h())).status_code == 404
    assert (
        await c.post(
            "/v1/cases/01YE9999926/arrests",
            json={"arrested_at": "2026-09-14T11:00:00Z"},
            headers=intake.h(),
        )
    ).status_code == 404


async def test_case_flow_arrest_bail_charging_request_and_illegal_transitions(intake):
    urn = await intake.new_case()
    c, h = intake.client, intake.h()
    r = await c.post(f"/v1/cases/{urn}/arrests", json={"arrested_at": "2026-09-14T11:00:00Z"}, headers=h)
    assert r.json()["status"] == "under_investigation"
    r = await c.post(
        f"/v1/cases/{urn}/bail",
        json={
            "kind": "pre_charge_bail",
            "conditions": ["no_contact_victim"],
            "until": "2027-03-01",
        },
        headers=h,
    )
    assert r.status_code == 200 and r.json()["bail"]["authorised_period_exceeded"] is True
    r = await c.post(f"/v1/cases/{urn}/further-material", json={"evidence": ["medical"]}, headers=h)
    assert r.status_code == 409 and "under investigation" in r.json()["message"]
    req = {
        "evidence": ["bwv", "999_call"],
        "requested_test": "full_code",
        "anticipated_plea": "not_guilty",
    }
    assert (await c.post(f"/v1/cases/{urn}/charging-requests", json=req, headers=h)).status_code == 200
    assert (await c.post(f"/v1/cases/{urn}/charging-requests", json=req, headers=h)).status_code == 409
    view = (await c.get(f"/v1/cases/{urn}", headers=h)).json()
    assert view["status"] == "awaiting_charging_decision"
    assert view["clocks"]["bail_expires"] == "2027-03-01"
    assert view["clocks"]["s39a_time_limit"] == "2027-03-13"  # no statement: 6 months from the offence (s127)
    types = [r["ce_type"] for r in await outbox(intake, urn)]
    assert types[-3:] == [
        "wja.intake.suspect.arrested.v1",
        "wja.intake.bail.decided.v1",
        "wja.intake.charging.requested.v1",
    ]


async def test_protective_notice_then_order_with_48_hour_deadline(intake):
    urn = await intake.new_case()
    c, h = intake.client, intake.h()
    r = await c.post(f"/v1/cases/{urn}/protective-orders", json={"kind": "DVPO", "granted": True}, headers=h)
    assert r.status_code == 409
    r = await c.post(
        f"/v1/cases/{urn}/protective-notices",
        json={"kind": "DVPN", "conditions": ["residence"], "issued_at": "2026-09-14T09:00:00Z"},
        headers=h,
    )
    assert r.json()["notice"]["order_hearing_by"].startswith("2026-09-16T09:00")
    r = await c.post(
        f"/v1/cases/{urn}/protective-orders",
        json={"kind": "DVPO", "granted": True, "until": "2026-10-12"},
        headers=h,
    )
    assert r.status_code == 200


async def test_a_notice_issued_at_the_end_of_time_is_refused_not_a_500(intake):
    """schemathesis sent a DVPN issued on 9999-12-31: its 48-hour deadline overflowed Python's dates (a 500)."""
    urn = await intake.new_case()
    c, h = intake.client, intake.h()
    for issued_at in ("9999-12-31T23:00:00Z", "1899-12-31T09:00:00Z"):
        r = await c.post(
            f"/v1/cases/{urn}/protective-notices", json={"kind": "DVPN", "issued_at": issued_at}, headers=h
        )
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["field"] == "issued_at" and "1900 to 2999" in error["message"], error
        assert issued_at[:4] not in r.text  # the value is not echoed


async def test_closure_rules(intake):
    urn = await intake.new_case()
    c, h = intake.client, intake.h()
    r = await c.post(f"/v1/cases/{urn}/closure", json={"outcome_code": "99"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome_code"
    r = await c.post(f"/v1/cases/{urn}/closure", json={"outcome_code": "21"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    assert (await c.post(f"/v1/cases/{urn}/closure", json={"outcome_code": "16"}, headers=h)).status_code == 200
    assert (await c.post(f"/v1/cases/{urn}/closure", json={"outcome_code": "16"}, headers=h)).status_code == 409
    req = {"evidence": ["bwv"], "requested_test": "full_code"}
    r = await c.post(f"/v1/cases/{urn}/charging-requests", json=req, headers=h)
    assert r.status_code == 409 and "closed" in r.json()["message"]


async def test_contact_details_are_encrypted_at_rest(intake):
    urn = await intake.new_case()
    row = await intake.pool.fetchrow("SELECT * FROM victims WHERE urn = $1", urn)
    raw = b"".join(bytes(v) if isinstance(v, bytes | bytearray) else str(v).encode() for v in row.values())
    for value in ("Harriet", "07700", "example.org", "Larch", "1987-03-14"):
        assert value.encode() not in raw
    dump = str([dict(r) for r in await intake.pool.fetch("SELECT * FROM cases WHERE urn = $1", urn)])
    assert "Harriet" not in dump and "07700" not in dump
    assert row["key_id"] == "dev1"


async def test_claim_check_access_and_audit(intake):
    urn = await intake.new_case()
    c = intake.client
    path = f"/v1/referrals/{urn}?purpose=idva_contact"
    assert (await c.get(path, headers=intake.h())).status_code == 403  # police
    assert (await c.get(path, headers=intake.h("court", "listing_officer"))).status_code == 403
    assert (await c.get(f"/v1/referrals/{urn}", headers=intake.h("idva", "manager"))).status_code == 422
    assert (await c.get(path, headers=intake.h("idva", "idva", sub="idva-a"))).status_code == 403  # not assigned
    r = await c.get(path, headers=intake.h("idva", "manager", sub="mgr-1"))
    assert r.status_code == 200 and r.json()["contact"]["phone"] == "07700 900123"
    await publish(
        intake.settings.kafka_bootstrap_servers,
        new_envelope(example("wja.support.idva.assigned.v1", urn=urn, idva_id="idva-a")),
    )

    async def assigned():
        return (await c.get(path, headers=intake.h("idva", "idva", sub="idva-a"))).status_code == 200

    await eventually(assigned)
    assert (await c.get(path, headers=intake.h("idva", "idva", sub="idva-b"))).status_code == 403
    audit = await c.get(f"/v1/cases/{urn}/referral-audit", headers=intake.h(role="supervisor"))
    assert audit.status_code == 200
    outcomes = [(a["sub"], a["outcome"]) for a in audit.json()]
    assert ("mgr-1", "read") in outcomes and ("idva-a", "read") in outcomes and ("idva-b", "refused") in outcomes
    assert all(a["purpose"] == "idva_contact" for a in audit.json())
    assert (await c.get(f"/v1/cases/{urn}/referral-audit", headers=intake.h())).status_code == 403
    with pytest.raises(asyncpg.RaiseError):
        await intake.pool.execute("DELETE FROM referral_audit WHERE urn = $1", urn)


def claim_check_counts(text: str) -> dict[str, float]:
    """The claim-check counters on /metrics: reads, and refusals by reason."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "wja_claim_check_reads_total":
                out["read"] = s.value
            elif s.name == "wja_claim_check_refusals_total":
                out[s.labels["reason"]] = s.value
    return out


async def test_claim_check_reads_and_refusals_are_counted_by_reason(intake):
    urn = await intake.new_case()
    none = await intake.new_case(referral_basis="none")
    path = "/v1/referrals/{}?purpose=idva_contact"
    before = claim_check_counts((await intake.client.get("/metrics")).text)
    assert set(before) == {"read", "not_permitted", "no_basis", "gone"}
    assert (await intake.client.get(path.format(urn), headers=intake.h("idva", "idva", sub="x"))).status_code == 403
    assert (await intake.client.get(path.format(urn), headers=intake.h("idva", "manager"))).status_code == 200
    assert (await intake.client.get(path.format(none), headers=intake.h("idva", "manager"))).status_code == 403
    assert (await intake.client.get(path.format(none), headers=intake.h("idva", "manager"))).status_code == 403
    after = claim_check_counts((await intake.client.get("/metrics")).text)
    assert {k: after[k] - before[k] for k in before} == {"read": 1, "not_permitted": 1, "no_basis": 2, "gone": 0}


async def test_no_referral_basis_or_withdrawn_consent_refuses_the_claim_check(intake):
    none = await intake.new_case(referral_basis="none")
    path = "/v1/referrals/{}?purpose=idva_contact"
    assert (await intake.client.get(path.format(none), headers=intake.h("idva", "manager"))).status_code == 403
    urn = await intake.new_case()
    assert (await intake.client.post(f"/v1/cases/{urn}/consent-withdrawal", headers=intake.h())).status_code == 200
    assert (await intake.client.get(path.format(urn), headers=intake.h("idva", "manager"))).status_code == 403
    types = [r["ce_type"] for r in await outbox(intake, urn)]
    assert types[-1] == "wja.intake.consent.withdrawn.v1"


async def test_consumed_charging_decisions_move_the_police_case(intake):
    c, h = intake.client, intake.h()
    urns = [await intake.new_case() for _ in range(3)]
    req = {"evidence": ["bwv"], "requested_test": "full_code"}
    for urn in urns:
        await c.post(f"/v1/cases/{urn}/charging-requests", json=req, headers=h)
    due = datetime(2026, 10, 1, tzinfo=UTC).date()
    await publish(
        intake.settings.kafka_bootstrap_servers,
        new_envelope(
            example(
                "wja.charging.decision.made.v1",
                urn=urns[0],
                decision="further_material_required",
                charges=[],
                due_date=due,
            )
        ),
        new_envelope(example("wja.charging.decision.made.v1", urn=urns[1])),
        new_envelope(
            example(
                "wja.charging.decision.made.v1",
                urn=urns[2],
                decision="no_further_action",
                charges=[],
                basis="evidential",
                suggested_outcome_code="15",
            )
        ),
    )

    async def statuses():
        got = [(await c.get(f"/v1/cases/{u}", headers=h)).json() for u in urns]
        return (
            got if [g["status"] for g in got] == ["further_material_required", "charged", "awaiting_closure"] else None
        )

    views = await eventually(statuses)
    assert views[0]["action_plan"]["due_date"] == "2026-10-01"
    assert views[2]["cps_decision"]["suggested_outcome_code"] == "15"
    r = await c.post(f"/v1/cases/{urns[0]}/further-material", json={"evidence": ["medical"]}, headers=h)
    assert r.json()["status"] == "awaiting_charging_decision"


async def test_purge_erases_contact_details_of_cases_closed_past_retention(intake):
    from wja_intake.service_layer.handlers import purge_closed

    urn = await intake.new_case()
    await intake.client.post(f"/v1/cases/{urn}/closure", json={"outcome_code": "16"}, headers=intake.h())
    deps = intake.app.state.deps
    assert await purge_closed(deps, 30) == 0
    intake.clock.set(datetime(2026, 11, 30, tzinfo=UTC))
    assert await purge_closed(deps, 30) >= 1
    assert await intake.pool.fetchval("SELECT count(*) FROM victims WHERE urn = $1", urn) == 0


async def test_a_redelivered_decision_is_applied_once_as_a_later_event_proves(intake):
    """The consumer's service-layer use case joins its transaction, so the processed-event record still
    guards it: the same decision delivered again after the action plan was answered does not reopen the plan.
    The sentinel (a later event on the same topic and key) shows the consumer got past the duplicate."""
    c, h = intake.client, intake.h()
    urn = await intake.new_case()
    await c.post(
        f"/v1/cases/{urn}/charging-requests", json={"evidence": ["bwv"], "requested_test": "full_code"}, headers=h
    )
    decision = new_envelope(
        example("wja.charging.decision.made.v1", urn=urn, decision="further_material_required", charges=[])
    )
    await publish(intake.settings.kafka_bootstrap_servers, decision)

    async def status(expected: str):
        return (await c.get(f"/v1/cases/{urn}", headers=h)).json()["status"] == expected

    await eventually(lambda: status("further_material_required"))
    answered = await c.post(f"/v1/cases/{urn}/further-material", json={"evidence": ["medical"]}, headers=h)
    assert answered.json()["status"] == "awaiting_charging_decision"
    sentinel = new_envelope(example("wja.charging.file.finalised.v1", urn=urn))
    await publish(intake.settings.kafka_bootstrap_servers, decision, sentinel)
    await eventually(lambda: status("awaiting_closure"))
    view = (await c.get(f"/v1/cases/{urn}", headers=h)).json()
    assert "answered_at" in view["action_plan"]  # the duplicate would have set a fresh, unanswered plan
    assert view["cps_decision"]["ended"] == "administratively finalised"
