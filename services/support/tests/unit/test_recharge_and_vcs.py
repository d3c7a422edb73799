"""A re-charged case's stage (CPS VRR scheme) and who is owed the Victim Contact Scheme (DVCVA 2004 s35)."""

from __future__ import annotations

from wja_support.domain import model

OVERTURNED = ("wja.charging.review.decided.v1", {"outcome": "overturned"})
CHARGED = ("wja.charging.decision.made.v1", {"decision": "charge"})


def test_an_overturned_review_takes_a_discontinued_case_back_to_charging_then_a_charge_to_pre_trial():
    stage = model.stage_after("trial", "wja.charging.proceedings.discontinued.v1", {})
    assert stage == "post_trial"
    stage = model.stage_after(stage, *OVERTURNED)
    assert stage == "charging"
    assert model.stage_after(stage, *CHARGED) == "pre_trial"
    assert model.stage_after("pre_trial", "wja.court.hearing.listed.v1", {}) == "pre_trial"


def test_an_upheld_review_changes_nothing_and_a_closed_case_stays_closed():
    assert model.stage_after("post_trial", "wja.charging.review.decided.v1", {"outcome": "upheld"}) == "post_trial"
    assert model.stage_after("closed", *OVERTURNED) == "closed"
    # an overturned NFA: still with the CPS, then charged
    assert model.stage_after(model.stage_after("charging", *OVERTURNED), *CHARGED) == "pre_trial"


def test_vcs_follows_courts_decision_and_falls_back_for_older_events():
    assert model.vcs_due({"disposal": "custody", "custody_months": 14, "vcs_eligible": False}) is False
    assert model.vcs_due({"disposal": "custody", "custody_days": 400, "vcs_eligible": True}) is True
    assert model.vcs_due({"disposal": "custody", "custody_months": 12}) is True
    assert model.vcs_due({"disposal": "suspended_sentence", "custody_months": 18}) is False
    assert model.vcs_due({"disposal": "custody", "custody_months": 11}) is False


def test_sentence_summary_names_a_term_in_days():
    assert model.summary("wja.court.sentence.imposed.v1", {"disposal": "custody", "custody_days": 14}).endswith(
        "14 days"
    )
