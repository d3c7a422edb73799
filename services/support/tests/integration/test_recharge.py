"""A re-charged case on the IDVA's timeline, and the Victim Contact Scheme as court decided it (real broker, DB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration
T0 = datetime(2026, 9, 7, 9, tzinfo=UTC)


def ev(ce_type, urn, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


async def test_a_case_recharged_after_an_overturned_discontinuance_shows_both_charges_and_listings(support):
    case = await support.referred(support.urn())
    urn, idva = case["urn"], case["idva"]
    day = lambda n: T0 + timedelta(days=n)  # noqa: E731
    await support.send(
        ev("wja.charging.decision.made.v1", urn, decided_at=day(1)),
        ev("wja.court.hearing.listed.v1", urn, hearing_id="h-1", listed_at=day(1), starts_at=day(29)),
        ev("wja.charging.proceedings.discontinued.v1", urn, discontinued_at=day(5)),
        ev("wja.court.hearing.vacated.v1", urn, hearing_id="h-1", reason="discontinued", vacated_at=day(5)),
        ev("wja.charging.review.requested.v1", urn, decision_type="discontinuance", requested_at=day(7)),
        ev("wja.charging.review.decided.v1", urn, outcome="overturned", decided_at=day(20)),
        ev("wja.charging.decision.made.v1", urn, decided_at=day(21)),
        ev("wja.court.hearing.listed.v1", urn, hearing_id="h-2", listed_at=day(21), starts_at=day(49)),
    )

    def complete(body):
        types = [e["event_type"] for e in body["entries"]]
        return types.count("wja.court.hearing.listed.v1") == 2 and types.count("wja.charging.decision.made.v1") == 2

    body = await support.timeline(urn, idva, wait_for=complete)
    assert body["stage"] == "pre_trial"
    decisions = [e for e in body["entries"] if e["event_type"] == "wja.charging.decision.made.v1"]
    assert [e["at"][:10] for e in decisions] == ["2026-09-08", "2026-09-28"]
    assert all(e["duty_holder"] and e["tell_victim_by"] for e in decisions)
    listings = [e for e in body["entries"] if e["event_type"] == "wja.court.hearing.listed.v1"]
    assert all(e["duty_holder"] and e["tell_victim_by"] for e in listings)


@pytest.mark.parametrize(("sentence", "offered"), [({"vcs_eligible": False}, False), ({"vcs_eligible": True}, True)])
async def test_closure_offers_the_vcs_only_when_court_found_the_sentence_qualifies(support, sentence, offered):
    case = await support.referred(support.urn())
    urn, idva = case["urn"], case["idva"]
    await support.send(ev("wja.court.sentence.imposed.v1", urn, custody_months=14, **sentence))
    await support.timeline(urn, idva, wait_for=lambda b: b["stage"] == "post_trial")
    h = support.h(sub=idva)
    closed = await support.client.post(f"/v1/cases/{urn}/closure", json={"reason": "post_trial"}, headers=h)
    assert closed.status_code == 200 and closed.json()["vcs_offered"] is offered


async def test_the_idva_may_still_offer_the_vcs_at_discretion(support):
    case = await support.referred(support.urn())
    urn, idva = case["urn"], case["idva"]
    await support.send(ev("wja.court.sentence.imposed.v1", urn, disposal="suspended_sentence", vcs_eligible=False))
    await support.timeline(urn, idva, wait_for=lambda b: b["stage"] == "post_trial")
    body = {"reason": "post_trial", "vcs_opt_in": True}
    closed = await support.client.post(f"/v1/cases/{urn}/closure", json=body, headers=support.h(sub=idva))
    assert closed.json()["vcs_offered"] is True
