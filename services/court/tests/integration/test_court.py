"""Listing, results and outcomes on the real broker and PostgreSQL, with a controllable clock."""

from __future__ import annotations

import asyncio

import pytest
from wja_cli.testing import eventually, exported_spans, publish, server_spans
from wja_schemas import new_envelope
from wja_schemas.examples import example

from .conftest import NOW, SERIALS

pytestmark = pytest.mark.integration


async def test_first_hearing_dates_follow_remand_plea_and_default_rules(court):
    s1 = await court.session(1)
    s15 = await court.session(15)
    s29 = await court.session(29)
    await court.session(40, code="OTHER")  # a court that does not serve this force
    remanded = await court.charge(remanded=True)
    gap = await court.charge(anticipated_plea="guilty")
    ngap = await court.charge(anticipated_plea="not_guilty")
    sessions = [(await court.hearings(u))[0]["session_id"] for u in (remanded, gap, ngap)]
    assert sessions == [s1, s15, s29]
    assert (await court.hearings(ngap))[0]["type"] == "first_hearing"
    assert "wja.court.hearing.listed.v1" in await court.outbox(ngap)


async def test_no_capacity_leaves_the_hearing_unlisted_until_capacity_appears_priority_first(court):
    standard = await court.charge(risk_level="standard", remanded=False, anticipated_plea="guilty")
    remanded = await court.charge(risk_level="standard", remanded=True)
    high = await court.charge(risk_level="high", anticipated_plea="guilty")
    for urn in (standard, remanded, high):
        assert (await court.hearings(urn))[0]["status"] == "unlisted"
        assert "wja.court.hearing.unlisted.v1" in await court.outbox(urn)
    queue = (await court.client.get("/v1/unlisted", headers=court.h())).json()
    assert {standard, remanded, high} <= {h["urn"] for h in queue}
    sid = await court.session(20, capacity=2)
    listed = {u: (await court.hearings(u))[0]["status"] for u in (standard, remanded, high)}
    assert listed == {remanded: "listed", high: "listed", standard: "unlisted"}
    await court.client.patch(f"/v1/sessions/{sid}", json={"capacity": 3}, headers=court.h())
    assert (await court.hearings(standard))[0]["status"] == "listed"


async def test_two_cases_racing_for_the_last_slot_exactly_one_wins(court):
    sid = await court.session(30, capacity=1)
    deps = court.app.state.deps
    from wja_court.adapters.repository import Repository
    from wja_court.service_layer import handlers
    from wja_platform.uow import PgUnitOfWork

    async def charge(urn):
        event = example("wja.charging.decision.made.v1", urn=urn, decided_at=NOW, force_code=court.force)
        async with deps.pool.acquire() as conn, conn.transaction():
            await handlers.charged(PgUnitOfWork.joining(conn, Repository), deps, event, f"cause-{urn}")

    urns = [f"{court.force}RC{n:05d}26" for n in (1, 2)]
    await asyncio.gather(*(charge(u) for u in urns))
    statuses = sorted([(await court.hearings(u))[0]["status"] for u in urns])
    assert statuses == ["listed", "unlisted"]
    session = (await court.client.get(f"/v1/sessions/{sid}", headers=court.h())).json()
    assert session["used"] == 1 and len(session["hearings"]) == 1


async def test_two_transactions_listing_several_hearings_each_wait_for_one_another_not_deadlock(court):
    """Two court transactions listing in turn (two replicas' batches of charges): A lists a remanded case into the
    early session, filling it; B lists a not-guilty one into the late session, then a remanded one, whose first
    session with room (as committed) is the early one, locked by A; A's next remanded case finds the early session
    full and wants the late one, locked by B. Without the listing lock each takes first (``Repository.hold_listing``)
    PostgreSQL aborts one of them for a deadlock (``DeadlockDetectedError``); with it, B waits for A to commit."""
    early = await court.session(2, capacity=1)
    late = await court.session(30, capacity=5)
    deps = court.app.state.deps
    from wja_court.adapters.repository import Repository
    from wja_court.service_layer import handlers
    from wja_platform.uow import PgUnitOfWork

    def charge(urn, **over):
        return example("wja.charging.decision.made.v1", urn=urn, decided_at=NOW, force_code=court.force, **over)

    remanded = {"remanded": True}
    not_guilty = {"remanded": False, "anticipated_plea": "not_guilty"}
    a1, a2, b1, b2 = (f"{court.force}DL{next(SERIALS)}26" for _ in range(4))

    async def batch(conn, events):
        async with conn.transaction():
            for urn, over in events:
                await handlers.charged(PgUnitOfWork.joining(conn, Repository), deps, charge(urn, **over), urn)

    async def waiting_for_a_lock(pid):
        query = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1"
        await eventually(lambda: deps.pool.fetchval(query, pid))

    async with deps.pool.acquire() as conn_a, deps.pool.acquire() as conn_b:
        async with conn_a.transaction():
            await handlers.charged(PgUnitOfWork.joining(conn_a, Repository), deps, charge(a1, **remanded), a1)
            b = asyncio.create_task(batch(conn_b, [(b1, not_guilty), (b2, remanded)]))
            await waiting_for_a_lock(conn_b.get_server_pid())
            await handlers.charged(PgUnitOfWork.joining(conn_a, Repository), deps, charge(a2, **remanded), a2)
        await b
    placed = {urn: (await court.hearings(urn))[0]["session_id"] for urn in (a1, a2, b1, b2)}
    assert placed == {a1: early, a2: late, b1: late, b2: late}


async def test_not_guilty_plea_lists_a_trial_at_least_seven_days_later_with_more_capacity(court):
    first = await court.session(29, capacity=5)
    too_soon = await court.session(33, capacity=5)
    small = await court.session(36, capacity=2)
    trial_ok = await court.session(37, capacity=5)
    urn = await court.charge()
    hearing = (await court.hearings(urn))[0]
    assert hearing["session_id"] == first
    r = await court.client.post(
        f"/v1/hearings/{hearing['hearing_id']}/result",
        json={
            "result": "not_guilty_plea",
            "bail": {"kind": "conditional_bail", "conditions": ["no_contact_victim"]},
        },
        headers=court.h(),
    )
    assert r.status_code == 200
    hs = await court.hearings(urn)
    trial = next(h for h in hs if h["type"] == "trial")
    assert trial["session_id"] == trial_ok and trial["session_id"] not in (too_soon, small)
    types = await court.outbox(urn)
    assert "wja.court.bail.decided.v1" in types and types.count("wja.court.hearing.listed.v1") == 2


async def test_guilty_plea_lists_sentencing_then_sentence_and_order(court):
    await court.session(15)
    await court.session(40)
    urn = await court.charge(anticipated_plea="guilty")
    first = (await court.hearings(urn))[0]
    r = await court.client.post(
        f"/v1/hearings/{first['hearing_id']}/result",
        json={"result": "guilty_plea"},
        headers=court.h(),
    )
    assert r.json()["next_hearing_id"]
    assert any(h["type"] == "sentencing" and h["status"] == "listed" for h in await court.hearings(urn))
    assert (
        await court.client.post(f"/v1/cases/{urn}/verdict", json={"verdict": "convicted"}, headers=court.h())
    ).status_code == 409
    bad = await court.client.post(f"/v1/cases/{urn}/sentence", json={"disposal": "custody"}, headers=court.h())
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "custody_months"
    ok = await court.client.post(
        f"/v1/cases/{urn}/sentence",
        json={"disposal": "custody", "custody_months": 14},
        headers=court.h(),
    )
    assert ok.status_code == 200
    order = await court.client.post(
        f"/v1/cases/{urn}/restraining-orders",
        json={"basis": "conviction", "until": None, "conditions": ["no_contact_victim"]},
        headers=court.h(),
    )
    assert order.status_code == 200
    acquittal = await court.client.post(
        f"/v1/cases/{urn}/restraining-orders",
        json={"basis": "acquittal", "until": None, "conditions": ["curfew"]},
        headers=court.h(),
    )
    assert acquittal.status_code == 409
    types = await court.outbox(urn)
    assert types[-2:] == ["wja.court.sentence.imposed.v1", "wja.court.restraining_order.made.v1"]


async def test_trial_results_verdict_and_refusals(court):
    await court.session(29)
    await court.session(40)
    await court.session(60)
    urn = await court.charge()
    c, h = court.client, court.h()
    assert (await c.post(f"/v1/cases/{urn}/verdict", json={"verdict": "acquitted"}, headers=h)).status_code == 409
    first = (await court.hearings(urn))[0]
    await c.post(f"/v1/hearings/{first['hearing_id']}/result", json={"result": "not_guilty_plea"}, headers=h)
    again = await c.post(f"/v1/hearings/{first['hearing_id']}/result", json={"result": "adjourned"}, headers=h)
    assert again.status_code == 409
    trial = next(x for x in await court.hearings(urn) if x["type"] == "trial")
    no_code = await c.post(f"/v1/hearings/{trial['hearing_id']}/result", json={"result": "ineffective"}, headers=h)
    assert no_code.status_code == 422 and no_code.json()["errors"][0]["field"] == "reason_code"
    r = await c.post(
        f"/v1/hearings/{trial['hearing_id']}/result",
        json={"result": "ineffective", "reason_code": "M3"},
        headers=h,
    )
    assert r.status_code == 200
    relisted = [x for x in await court.hearings(urn) if x["type"] == "trial" and x["status"] == "listed"]
    assert len(relisted) == 1
    await c.post(f"/v1/hearings/{relisted[0]['hearing_id']}/result", json={"result": "effective"}, headers=h)
    assert (await c.post(f"/v1/cases/{urn}/verdict", json={"verdict": "acquitted"}, headers=h)).status_code == 200
    assert (await c.post(f"/v1/cases/{urn}/sentence", json={"disposal": "fine"}, headers=h)).status_code == 409
    order = await c.post(
        f"/v1/cases/{urn}/restraining-orders",
        json={"basis": "acquittal", "until": "2027-09-14", "conditions": ["no_contact_victim"]},
        headers=h,
    )
    assert order.status_code == 200


async def test_discontinuance_vacates_future_hearings_and_frees_capacity(court):
    sid = await court.session(29, capacity=1)
    urn = await court.charge()
    assert (await court.hearings(urn))[0]["session_id"] == sid
    await publish(
        court.settings.kafka_bootstrap_servers,
        new_envelope(example("wja.charging.proceedings.discontinued.v1", urn=urn, discontinued_at=NOW)),
    )
    hs = await court.hearings(urn, wait_for=lambda hs: hs[0]["status"] == "vacated")
    assert hs[0]["status"] == "vacated"
    assert (await court.client.get(f"/v1/sessions/{sid}", headers=court.h())).json()["free"] == 1
    assert "wja.court.hearing.vacated.v1" in await court.outbox(urn)


async def test_special_measures_need_a_reason_to_refuse_and_familiarisation_is_recorded(court):
    await court.session(29)
    await court.session(40)
    urn = await court.charge()
    first = (await court.hearings(urn))[0]
    await court.client.post(
        f"/v1/hearings/{first['hearing_id']}/result",
        json={"result": "not_guilty_plea"},
        headers=court.h(),
    )
    await publish(
        court.settings.kafka_bootstrap_servers,
        new_envelope(example("wja.support.special_measures.requested.v1", urn=urn, request_id="sm-9")),
        new_envelope(example("wja.support.familiarisation.requested.v1", urn=urn)),
    )

    async def recorded():
        return await court.pool.fetchval("SELECT 1 FROM special_measures WHERE request_id = 'sm-9'")

    await eventually(recorded)
    path = f"/v1/cases/{urn}/special-measures/sm-9/decision"
    refused = await court.client.post(path, json={"granted": False}, headers=court.h("court", "legal_adviser"))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "refusal_reason"
    granted = await court.client.post(path, json={"granted": True}, headers=court.h("court", "legal_adviser"))
    assert granted.status_code == 200 and granted.json()["measures"] == ["screens", "live_link"]
    assert (await court.client.post(path, json={"granted": True}, headers=court.h())).status_code == 409
    hs = await court.hearings(urn, wait_for=lambda hs: any(h["familiarisation_requested"] for h in hs))
    assert next(h for h in hs if h["type"] == "trial")["familiarisation_requested"]


async def test_refusals(court):
    c = court.client
    assert (
        await c.post(
            "/v1/sessions",
            json={"court_code": "C1X", "starts_at": "2026-10-01T10:00:00Z", "capacity": 5},
        )
    ).status_code == 401
    for agency, role in (("police", "officer"), ("idva", "idva"), ("cps", "prosecutor")):
        r = await c.post(
            "/v1/sessions",
            json={"court_code": "C1X", "starts_at": "2026-10-01T10:00:00Z", "capacity": 5},
            headers=court.h(agency, role),
        )
        assert r.status_code == 403
    assert (await c.get("/v1/cases/01ZZ0000126/hearings", headers=court.h("cps", "prosecutor"))).status_code == 404
    assert (await c.get("/v1/cases/01ZZ0000126/hearings", headers=court.h("police", "officer"))).status_code == 403
    bad = await c.post(
        "/v1/sessions",
        json={"court_code": "c", "starts_at": "tomorrow", "capacity": -1},
        headers=court.h(),
    )
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {
        "court_code",
        "starts_at",
        "capacity",
    }
    assert (
        await c.post("/v1/hearings/h-nothing/result", json={"result": "adjourned"}, headers=court.h())
    ).status_code == 404


async def test_a_redelivered_charge_lists_one_hearing(court):
    await court.session(29)
    env = new_envelope(
        example(
            "wja.charging.decision.made.v1",
            urn=f"{court.force}DU1234526",
            decided_at=NOW,
            force_code=court.force,
        )
    )
    # a later event of the same case (same topic and key: delivered after both copies) is the sentinel:
    # once it is applied, the consumer has got past the duplicate
    sentinel = new_envelope(example("wja.charging.proceedings.discontinued.v1", urn=env.subject, discontinued_at=NOW))
    await publish(court.settings.kafka_bootstrap_servers, env, env, sentinel)
    hs = await court.hearings(env.subject, wait_for=lambda hs: all(h["status"] == "vacated" for h in hs))
    assert len(hs) == 1


async def test_a_hearing_result_span_carries_the_case_urn_though_the_path_names_only_the_hearing(court):
    await court.session(29, capacity=5)
    urn = await court.charge()
    hearing = (await court.hearings(urn))[0]
    path = f"/v1/hearings/{hearing['hearing_id']}/result"
    r = await court.client.post(path, json={"result": "guilty_plea"}, headers=court.h())
    assert r.status_code == 200, r.text
    spans = server_spans(path)
    assert len(spans) == 1 and spans[0]["attributes"]["wja.case.urn"] == urn
    queries = [s for s in exported_spans() if s["trace_id"] == spans[0]["trace_id"] and s["kind"] == "CLIENT"]
    assert queries and queries[-1]["attributes"].get("wja.case.urn") == urn  # later spans of the action, too
