"""Who may ask for a Victims' Right to Review, and CPS systems on the routes journey.md gives "cps"."""

from __future__ import annotations

import pytest
from wja_cli.testing import eventually, publish
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration
ASKED = {"requested_at": "2026-09-15T12:00:00Z"}


async def test_an_idva_token_asks_for_a_review_only_as_the_assigned_idva_or_a_manager_of_their_team(charging):
    urn = await charging.file()
    assert (await charging.decide(urn, decision="no_further_action", charges=[], basis="evidential")).status_code == 200
    c, path = charging.client, f"/v1/cases/{urn}/reviews"
    # nobody is known to be assigned yet: every IDVA and manager is refused, before the file is even looked at
    assert (await c.post(path, json=ASKED, headers=charging.h("idva", "idva", "idva-7"))).status_code == 403
    unknown = f"/v1/cases/{urn[:4]}99999{urn[-2:]}/reviews"
    assert (await c.post(unknown, json=ASKED, headers=charging.h("idva", "idva", "idva-7"))).status_code == 403
    await publish(
        charging.settings.kafka_bootstrap_servers,
        new_envelope(example("wja.support.idva.assigned.v1", urn=urn, idva_id="idva-7", team="north")),
    )

    async def assigned():
        return await charging.pool.fetchval("SELECT idva FROM idva_assignments WHERE urn = $1", urn) == "idva-7"

    await eventually(assigned)
    other = await c.post(path, json=ASKED, headers=charging.h("idva", "idva", "idva-8"))
    assert other.status_code == 403 and "assigned" in other.json()["message"]
    south = await c.post(path, json=ASKED, headers=charging.h("idva", "manager", "mgr-s", team="south"))
    assert south.status_code == 403
    no_team = await c.post(path, json=ASKED, headers=charging.h("idva", "manager", "mgr-d"))  # team "default"
    assert no_team.status_code == 403
    assert (await c.post(path, json=ASKED, headers=charging.h("idva", "analyst", "a-1"))).status_code == 403
    assert (await c.post(path, json=ASKED, headers=charging.h("police", "officer", "pc-1"))).status_code == 403
    mine = await c.post(path, json=ASKED, headers=charging.h("idva", "idva", "idva-7"))
    assert mine.status_code == 201, mine.text
    await c.post(
        f"/v1/reviews/{mine.json()['review_id']}/decision",
        json={"outcome": "upheld", "reason": "stands"},
        headers=charging.h(),
    )
    manager = await c.post(path, json=ASKED, headers=charging.h("idva", "manager", "mgr-n", team="north"))
    assert manager.status_code == 201, manager.text
    requested_by = await charging.pool.fetch(
        "SELECT requested_by FROM reviews WHERE urn = $1 ORDER BY requested_at", urn
    )
    assert {r["requested_by"] for r in requested_by} == {"idva:idva-7", "idva:mgr-n"}


async def test_a_cps_service_token_decides_reviews_and_discontinues_as_journey_md_allows(charging):
    service = charging.h("cps", "service", "cps-casework")
    urn = await charging.file()
    r = await charging.client.post(
        f"/v1/cases/{urn}/decisions",
        json={"decision": "charge", "test": "full_code", "charges": [{"offence_code": "abh"}], "reason": "BWV"},
        headers=service,
    )
    assert r.status_code == 200, r.text
    r = await charging.client.post(
        f"/v1/cases/{urn}/discontinuance", json={"reason": "public_interest"}, headers=service
    )
    assert r.status_code == 200, r.text
    review = await charging.client.post(f"/v1/cases/{urn}/reviews", json=ASKED, headers=service)
    assert review.status_code == 201, review.text
    r = await charging.client.post(
        f"/v1/reviews/{review.json()['review_id']}/decision",
        json={"outcome": "upheld", "reason": "stands"},
        headers=service,
    )
    assert r.status_code == 200, r.text
    analyst = charging.h("cps", "analyst", "an-1")
    assert (
        await charging.client.post(
            f"/v1/cases/{urn}/discontinuance", json={"reason": "public_interest"}, headers=analyst
        )
    ).status_code == 403
