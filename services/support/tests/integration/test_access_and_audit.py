"""IDVAs only within their forces (unserved cases wait on the manager's caseload), every read of the
contact copy audited, and a purge at intake (410) ends the claim check."""

from __future__ import annotations

import asyncpg
import pytest
from wja_cli.testing import eventually
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration
NORTH = {"role": "manager", "sub": "mgr-n", "team": "north"}


async def _refer(support, urn: str, force: str) -> None:
    await support.send(
        new_envelope(example("wja.intake.crime.reported.v1", urn=urn, force_code=force, unit="SP")),
        new_envelope(example("wja.intake.victim.referred.v1", urn=urn, force_code=force)),
    )

    async def referred():
        return await support.pool.fetchval("SELECT referral_basis FROM cases WHERE urn = $1", urn)

    await eventually(referred)


async def _status(support, urn: str) -> str:
    return await support.pool.fetchval("SELECT contact_status FROM cases WHERE urn = $1", urn)


async def test_a_case_no_idva_serves_stays_unassigned_and_needs_an_idva_on_the_managers_caseload(support):
    far = "09"  # no IDVA of the roster serves it (the fixture's force is 10-98; idva-c serves 99)
    urn = f"{far}SP{support.urn()[4:9]}26"
    await _refer(support, urn, far)
    assert await support.pool.fetchval("SELECT idva FROM cases WHERE urn = $1", urn) is None
    c, manager = support.client, support.h(**NORTH)
    assert urn not in {x["urn"] for x in (await c.get("/v1/caseload", headers=manager)).json()}  # not north's force
    assert (
        await c.post("/v1/idvas", json={"sub": "idva-far", "team": "north", "forces": [far]}, headers=manager)
    ).status_code == 201
    waiting = {x["urn"]: x for x in (await c.get("/v1/caseload", headers=manager)).json()}
    assert waiting[urn]["needs_idva"] is True and waiting[urn]["idva"] is None
    south = (await c.get("/v1/caseload", headers=support.h(role="manager", sub="mgr-s", team="south"))).json()
    assert urn not in {x["urn"] for x in south}
    assert (await c.get(f"/v1/cases/{urn}/timeline", headers=support.h(sub="idva-c"))).status_code == 403
    wrong = await c.post(
        f"/v1/cases/{urn}/assignment", json={"idva": "idva-a"}, headers=manager
    )  # serves another force
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "idva"
    assert (await c.post(f"/v1/cases/{urn}/assignment", json={"idva": "idva-far"}, headers=manager)).status_code == 200
    after = {x["urn"]: x for x in (await c.get("/v1/caseload", headers=manager)).json()}
    assert after[urn]["needs_idva"] is False and after[urn]["idva"] == "idva-far"
    event = await support.pool.fetchval(
        "SELECT value FROM outbox WHERE urn = $1 AND ce_type = 'wja.support.idva.assigned.v1'", urn
    )
    assert b'"idva_forces":["' + far.encode() + b'"]' in bytes(event).replace(b" ", b"")


async def test_every_read_of_the_contact_copy_is_audited_with_its_purpose_and_the_trail_is_append_only(support):
    await support.intake.start()
    case = await support.referred(support.urn())
    urn, mine = case["urn"], case["idva"]
    other = ({"idva-a", "idva-b"} - {mine}).pop()
    c, path = support.client, f"/v1/cases/{urn}/contact"

    async def fetched():
        return await _status(support, urn) == "fetched"

    await eventually(fetched)
    assert (await c.get(path, headers=support.h(sub=mine))).status_code == 422  # no purpose
    read = await c.get(f"{path}?purpose=arrange_visit", headers=support.h(sub=mine))
    assert read.status_code == 200 and read.json()["phone"] == "07700 900123"
    assert (await c.get(f"{path}?purpose=curious", headers=support.h(sub=other))).status_code == 403
    assert (await c.get(f"{path}?purpose=check_in", headers=support.h(**NORTH))).status_code == 403
    trail = await c.get(f"/v1/audit/contact-reads?urn={urn}", headers=support.h(**NORTH))
    assert trail.status_code == 200
    rows = [(r["sub"], r["purpose"], r["outcome"]) for r in trail.json()]
    assert rows == [(mine, "arrange_visit", "read"), (other, "curious", "refused"), ("mgr-n", "check_in", "refused")]
    assert all(r["read_at"] and r["urn"] == urn for r in trail.json())
    assert "07700" not in trail.text and "Harriet" not in trail.text
    assert (await c.get("/v1/audit/contact-reads", headers=support.h(sub=mine))).status_code == 403
    assert (await c.get("/v1/audit/contact-reads", headers=support.h("police", "supervisor"))).status_code == 403
    assert (await c.get("/v1/audit/contact-reads")).status_code == 401
    south = await c.get("/v1/audit/contact-reads", headers=support.h(role="manager", sub="mgr-s", team="south"))
    assert urn not in {r["urn"] for r in south.json()}
    with pytest.raises(asyncpg.RaiseError):
        await support.pool.execute("DELETE FROM contact_read_audit WHERE urn = $1", urn)
    with pytest.raises(asyncpg.RaiseError):
        await support.pool.execute("UPDATE contact_read_audit SET outcome = 'read' WHERE urn = $1", urn)


async def test_a_claim_check_answered_410_is_recorded_as_gone_and_never_asked_again(support):
    await support.intake.start()
    purged = support.urn()
    support.intake.gone.add(purged)
    await support.referred(purged)

    async def gone():
        return await _status(support, purged) == "gone"

    await eventually(gone)
    # a later referral fetched proves further claim-check rounds ran; the purged case was not asked again
    later = await support.referred(support.urn())

    async def fetched():
        return await _status(support, later["urn"]) == "fetched"

    await eventually(fetched)
    assert support.intake.reads.count(purged) == 1
    view = await support.client.get(f"/v1/cases/{purged}", headers=support.h(role="manager", team="north"))
    assert view.json()["contact_status"] == "gone"
