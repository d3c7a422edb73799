"""journey.md section 3 gives the court routes to "court": every court role but analyst, court systems included."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .conftest import NOW, iso

pytestmark = pytest.mark.integration


async def test_a_court_service_token_lists_results_and_sentences_and_an_analyst_may_not(court):
    c = court.client
    system, analyst = court.h("court", "service", "court-store"), court.h("court", "analyst", "an-1")
    for days in (15, 40):
        body = {"court_code": court.code, "starts_at": iso(NOW + timedelta(days=days)), "capacity": 5}
        assert (await c.post("/v1/sessions", json=body, headers=analyst)).status_code == 403
        r = await c.post("/v1/sessions", json=body, headers=system)
        assert r.status_code == 201, r.text
    urn = await court.charge(anticipated_plea="guilty")
    first = (await court.hearings(urn))[0]
    assert (await c.get(f"/v1/cases/{urn}/hearings", headers=system)).status_code == 200
    result = f"/v1/hearings/{first['hearing_id']}/result"
    assert (await c.post(result, json={"result": "guilty_plea"}, headers=analyst)).status_code == 403
    r = await c.post(result, json={"result": "guilty_plea"}, headers=system)
    assert r.status_code == 200, r.text
    sentence = {"disposal": "custody", "custody_months": 14}
    r = await c.post(f"/v1/cases/{urn}/sentence", json=sentence, headers=system)
    assert r.status_code == 200, r.text
    order = {"basis": "conviction", "until": None, "conditions": ["no_contact_victim"]}
    r = await c.post(f"/v1/cases/{urn}/restraining-orders", json=order, headers=system)
    assert r.status_code == 200, r.text
