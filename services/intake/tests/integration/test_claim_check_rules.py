"""The claim check's limits: an IDVA only within their roster forces; a purged case answers 410."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from wja_cli.testing import eventually, publish
from wja_intake.service_layer.handlers import purge_closed
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration


async def _assign(intake, urn: str, idva: str, **fields) -> None:
    await publish(
        intake.settings.kafka_bootstrap_servers,
        new_envelope(example("wja.support.idva.assigned.v1", urn=urn, idva_id=idva, **fields)),
    )

    async def consumed():
        return await intake.pool.fetchval("SELECT assigned_idva FROM cases WHERE urn = $1", urn) == idva

    await eventually(consumed)


async def _outcomes(intake, urn: str) -> list[tuple[str, str]]:
    audit = await intake.client.get(f"/v1/cases/{urn}/referral-audit", headers=intake.h(role="supervisor"))
    assert audit.status_code == 200
    return [(a["sub"], a["outcome"]) for a in audit.json()]


async def test_the_assigned_idva_reads_only_a_case_of_a_force_on_their_roster_entry(intake):
    urn = await intake.new_case(force="01")
    path = f"/v1/referrals/{urn}?purpose=idva_contact"
    await _assign(intake, urn, "idva-far", idva_forces=["02", "03"])
    far = await intake.client.get(path, headers=intake.h("idva", "idva", sub="idva-far"))
    assert far.status_code == 403 and "forces" in far.json()["message"]
    assert "Harriet" not in far.text and "07700" not in far.text
    await _assign(intake, urn, "idva-old", idva_forces=None)  # an assignment from before the field: nobody
    assert (await intake.client.get(path, headers=intake.h("idva", "idva", sub="idva-old"))).status_code == 403
    await _assign(intake, urn, "idva-near", idva_forces=["01"])
    near = await intake.client.get(path, headers=intake.h("idva", "idva", sub="idva-near"))
    assert near.status_code == 200 and near.json()["contact"]["phone"] == "07700 900123"
    assert await _outcomes(intake, urn) == [("idva-far", "refused"), ("idva-old", "refused"), ("idva-near", "read")]


async def test_a_claim_check_after_the_purge_answers_410_audited_as_gone(intake):
    urn = await intake.new_case()
    path = f"/v1/referrals/{urn}?purpose=idva_contact"
    manager = intake.h("idva", "manager", sub="mgr-1")
    assert (await intake.client.get(path, headers=manager)).status_code == 200
    closed = await intake.client.post(f"/v1/cases/{urn}/closure", json={"outcome_code": "16"}, headers=intake.h())
    assert closed.status_code == 200
    intake.clock.set(datetime(2034, 1, 1, tzinfo=UTC))  # past the 7-year retention
    assert await purge_closed(intake.app.state.deps, intake.settings.retention_days) >= 1
    purged_at = await intake.pool.fetchval("SELECT contact_purged_at FROM cases WHERE urn = $1", urn)
    assert purged_at == datetime(2034, 1, 1, tzinfo=UTC)
    for _ in range(2):
        gone = await intake.client.get(path, headers=manager)
        assert gone.status_code == 410
        assert "purged" in gone.json()["message"] and gone.json()["errors"] == []
    assert await _outcomes(intake, urn) == [("mgr-1", "read"), ("mgr-1", "gone"), ("mgr-1", "gone")]
    # the refusals still come first: a caller who may not read learns nothing about a purge
    refused = await intake.client.get(path, headers=intake.h("idva", "idva", sub="idva-zz"))
    assert refused.status_code == 403
