"""Which events oblige someone to tell the victim, and the chain of duties (Victims' Code Rights 6, 8, 9)."""

from wja_support.config import SupportSettings
from wja_support.domain import model

RULES = SupportSettings.model_fields["notice_working_days"].default


def test_a_conviction_by_guilty_plea_a_verdict_and_a_sentence_go_court_then_wcu():
    chain = [("court", 5), ("wcu", 1)]
    assert model.obligation("wja.court.hearing.resulted.v1", {"result": "guilty_plea"}, RULES) == chain
    assert model.obligation("wja.court.verdict.recorded.v1", {"verdict": "acquitted"}, RULES) == chain
    assert model.obligation("wja.court.sentence.imposed.v1", {"disposal": "custody"}, RULES) == chain


def test_other_hearing_results_and_action_plans_create_no_obligation():
    for result in ("not_guilty_plea", "adjourned", "effective", "cracked", "ineffective"):
        assert model.obligation("wja.court.hearing.resulted.v1", {"result": result}, RULES) == []
    plan = {"decision": "further_material_required"}
    assert model.obligation("wja.charging.decision.made.v1", plan, RULES) == []


def test_a_restraining_order_is_told_by_the_wcu_within_a_working_day():
    assert model.obligation("wja.court.restraining_order.made.v1", {}, RULES) == [("wcu", 1)]


def test_single_step_rules_keep_their_old_form():
    assert model.obligation("wja.intake.suspect.arrested.v1", {}, RULES) == [("police", 1)]
    assert model.obligation("wja.intake.crime.reported.v1", {}, RULES) == []
