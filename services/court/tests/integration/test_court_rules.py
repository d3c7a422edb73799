"""Issue 17 rules through the public API: London target dates, trial weights, re-charged cases, custodial terms."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from wja_cli.testing import publish
from wja_schemas import new_envelope
from wja_schemas.examples import example

from .conftest import NOW, iso

pytestmark = pytest.mark.integration


async def result(court, hearing_id, value):
    r = await court.client.post(f"/v1/hearings/{hearing_id}/result", json={"result": value}, headers=court.h())
    assert r.status_code == 200, r.text
    return r.json()


async def session_at(court, starts_at, capacity=5):
    body = {"court_code": court.code, "starts_at": starts_at, "capacity": capacity}
    r = await court.client.post("/v1/sessions", json=body, headers=court.h())
    assert r.status_code == 201, r.text
    return r.json()["session_id"]


async def test_a_sitting_at_0930_london_on_the_target_day_is_taken(court):
    # charged 13:00 London on Monday 14 September 2026; guilty plea anticipated: target Monday 28 September
    morning = await session_at(court, "2026-09-28T09:30:00+01:00")
    await session_at(court, "2026-09-29T09:30:00+01:00")
    await session_at(court, "2026-09-27T16:00:00+01:00")  # the day before the target: too early
    urn = await court.charge(anticipated_plea="guilty", remanded=False)
    hearing = (await court.hearings(urn))[0]
    assert hearing["status"] == "listed" and hearing["session_id"] == morning
    assert hearing["starts_at"] == "2026-09-28T08:30:00+00:00"


async def test_an_unlisted_hearing_reports_its_london_target_date(court):
    urn = await court.charge(anticipated_plea="guilty", remanded=False, decided_at=NOW.replace(hour=23, minute=30))
    queue = (await court.client.get("/v1/unlisted", headers=court.h())).json()
    # 23:30 UTC on 14 September is 00:30 on the 15th in London: target 29 September
    assert next(h for h in queue if h["urn"] == urn)["target_date"] == "2026-09-29"


async def test_a_trial_lists_as_soon_as_a_vacated_hearing_frees_enough_units(court):
    small = await court.session(40, capacity=3)  # trial weight 3: needs the whole session
    occupier = await court.charge()  # first hearing (1 unit) in the only session: 2 units left
    assert (await court.hearings(occupier))[0]["session_id"] == small
    first_session = await court.session(29, capacity=5)
    urn = await court.charge()
    first = (await court.hearings(urn))[0]
    assert first["session_id"] == first_session
    await result(court, first["hearing_id"], "not_guilty_plea")
    trial = next(h for h in await court.hearings(urn) if h["type"] == "trial")
    assert trial["status"] == "unlisted" and trial["weight"] == 3
    assert (await court.client.get(f"/v1/sessions/{small}", headers=court.h())).json()["free"] == 2
    await publish(
        court.settings.kafka_bootstrap_servers,
        new_envelope(example("wja.charging.proceedings.discontinued.v1", urn=occupier, discontinued_at=NOW)),
    )
    hs = await court.hearings(
        urn, wait_for=lambda hs: any(h["type"] == "trial" and h["status"] == "listed" for h in hs)
    )
    assert next(h for h in hs if h["type"] == "trial")["session_id"] == small
    session = (await court.client.get(f"/v1/sessions/{small}", headers=court.h())).json()
    assert session["used"] == 3 and session["free"] == 0
    assert {h["urn"]: h["status"] for h in session["hearings"]} == {urn: "listed", occupier: "vacated"}


async def test_a_case_recharged_after_discontinuance_is_listed_again(court):
    await court.session(29, capacity=5)
    await court.session(45, capacity=5)
    urn = await court.charge(charges=[{"offence_code": "stalking"}])
    first = (await court.hearings(urn))[0]
    await result(court, first["hearing_id"], "not_guilty_plea")
    await publish(
        court.settings.kafka_bootstrap_servers,
        new_envelope(example("wja.charging.proceedings.discontinued.v1", urn=urn, discontinued_at=NOW)),
    )
    await court.hearings(urn, wait_for=lambda hs: all(h["status"] != "listed" for h in hs))
    # VRR overturned the discontinuance; the CPS charges again (a new decision, a new event)
    await publish(
        court.settings.kafka_bootstrap_servers,
        new_envelope(
            example(
                "wja.charging.decision.made.v1",
                urn=urn,
                decided_at=NOW + timedelta(days=10),
                force_code=court.force,
                charges=[{"offence_code": "stalking_fear_of_violence"}],
            )
        ),
    )
    hs = await court.hearings(urn, wait_for=lambda hs: any(h["status"] == "listed" for h in hs))
    assert [h["status"] for h in hs] == ["resulted", "vacated", "listed"]
    assert hs[-1]["type"] == "first_hearing"
    types = await court.outbox(urn)
    assert types.count("wja.court.hearing.listed.v1") == 3 and "wja.court.hearing.vacated.v1" in types
    # new proceedings: a plea may be taken again, and the new charge's maximum applies (s4A: 10 years)
    await result(court, hs[-1]["hearing_id"], "guilty_plea")
    ok = await court.client.post(
        f"/v1/cases/{urn}/sentence", json={"disposal": "custody", "custody_months": 30}, headers=court.h()
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["sentence"]["vcs_eligible"] is True


async def test_a_case_first_charged_after_an_overturned_nfa_is_listed(court):
    await court.session(29)
    urn = await court.charge(decided_at=NOW + timedelta(days=1))
    assert (await court.hearings(urn))[0]["status"] == "listed"


async def sentence(court, urn, **body):
    return await court.client.post(f"/v1/cases/{urn}/sentence", json=body, headers=court.h())


async def convicted(court, offence):
    urn = await court.charge(anticipated_plea="guilty", charges=[{"offence_code": offence}])
    first = (await court.hearings(urn))[0]
    await result(court, first["hearing_id"], "guilty_plea")
    return urn


async def test_custodial_terms_through_the_api(court):
    await court.session(15, capacity=20)
    await court.session(40, capacity=20)
    assault = await convicted(court, "common_assault")
    over = await sentence(court, assault, disposal="custody", custody_months=7)
    assert over.status_code == 422
    assert over.json()["errors"][0]["field"] == "custody_months"
    assert "6 months" in over.json()["errors"][0]["message"] and "CJA 1988 s39" in over.json()["message"]
    short = await sentence(court, assault, disposal="suspended_sentence", custody_days=13)
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "custody_days"
    assert "14 days" in short.json()["message"]
    both = await sentence(court, assault, disposal="custody", custody_months=2, custody_days=3)
    assert both.status_code == 422
    floor = await sentence(court, assault, disposal="suspended_sentence", custody_days=14)
    assert floor.status_code == 200 and floor.json()["sentence"]["vcs_eligible"] is False

    abh = await convicted(court, "abh")
    long = await sentence(court, abh, disposal="suspended_sentence", custody_months=25)
    assert long.status_code == 422 and "2 years" in long.json()["message"]
    custody = await sentence(court, abh, disposal="custody", custody_months=12)
    assert custody.status_code == 200 and custody.json()["sentence"]["vcs_eligible"] is True
    value = await court.pool.fetchval(
        "SELECT value FROM outbox WHERE urn = $1 AND ce_type = 'wja.court.sentence.imposed.v1'", abh
    )
    event = json.loads(value)
    assert event["vcs_eligible"] is True and event["custody_months"] == 12

    suspended = await convicted(court, "strangulation")
    r = await sentence(court, suspended, disposal="suspended_sentence", custody_months=24)
    assert r.status_code == 200 and r.json()["sentence"]["vcs_eligible"] is False  # suspended: no VCS

    breach = await convicted(court, "breach_non_molestation_order")
    r = await sentence(court, breach, disposal="custody", custody_months=18)
    assert r.status_code == 200 and r.json()["sentence"]["vcs_eligible"] is False  # not a violent offence


async def test_sentence_refusals(court):
    await court.session(15)
    await court.session(40)
    urn = await convicted(court, "abh")
    body = {"disposal": "custody", "custody_months": 12}
    assert (await court.client.post(f"/v1/cases/{urn}/sentence", json=body)).status_code == 401
    for agency, role in (("cps", "prosecutor"), ("police", "officer"), ("court", "analyst")):
        r = await court.client.post(f"/v1/cases/{urn}/sentence", json=body, headers=court.h(agency, role))
        assert r.status_code == 403
    unknown = await court.client.post(f"/v1/cases/{court.force}ZZ0000126/sentence", json=body, headers=court.h())
    assert unknown.status_code == 404
    bad = await court.client.post(
        f"/v1/cases/{urn}/sentence", json={"disposal": "custody", "custody_days": 0}, headers=court.h()
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "custody_days"


async def test_the_sessions_api_states_the_unit_of_capacity_and_the_trial_weight(court):
    spec = (await court.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for name in ("SessionIn", "SessionChange", "SessionOut"):
        text = schemas[name]["properties"]["capacity"]["description"]
        assert "units" in text and "trial 3" in text and "first_hearing 1" in text
    assert "weight" in schemas["HearingOut"]["properties"]
    listing = spec["paths"]["/v1/sessions"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listing["items"]["$ref"].endswith("/SessionOut")
    assert iso(NOW)  # the fixture's clock is the one the rest of the file assumes
