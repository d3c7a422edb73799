"""Listing rules without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from wja_court.domain import model
from wja_court.domain.errors import IllegalTransition, Invalid

AT = datetime(2026, 9, 14, 12, tzinfo=UTC)
RULES = model.ListingRules()


def test_first_hearing_targets():
    assert RULES.first_hearing_target(AT, True, "unknown") == AT
    assert RULES.first_hearing_target(AT, False, "guilty") == AT + timedelta(days=14)
    assert RULES.first_hearing_target(AT, False, "not_guilty") == AT + timedelta(days=28)
    assert model.ListingRules(not_guilty_days=21).first_hearing_target(AT, False, "unknown") == AT + timedelta(days=21)


def test_what_each_result_leads_to():
    assert RULES.after_result("guilty_plea", "first_hearing", AT) == (
        "sentencing",
        AT + timedelta(days=21),
    )
    assert RULES.after_result("not_guilty_plea", "first_hearing", AT) == (
        "trial",
        AT + timedelta(days=7),
    )
    assert RULES.after_result("adjourned", "first_hearing", AT)[0] == "first_hearing"
    assert RULES.after_result("ineffective", "trial", AT)[0] == "trial"
    assert RULES.after_result("effective", "trial", AT) is None
    assert RULES.after_result("cracked", "trial", AT) is None


def test_remand_then_high_risk_go_first():
    order = sorted([(False, "standard"), (False, "high"), (True, "standard")], key=lambda c: model.priority(*c))
    assert order == [(True, "standard"), (False, "high"), (False, "standard")]


def test_result_and_outcome_preconditions():
    with pytest.raises(Invalid):
        model.check_result("ineffective", None)
    with pytest.raises(Invalid):
        model.check_result("ineffective", "ZZ9")
    model.check_result("ineffective", "M1")
    case = {
        "not_guilty_plea": False,
        "guilty_plea": False,
        "verdict": None,
        "sentence": None,
        "discontinued": False,
    }
    with pytest.raises(IllegalTransition):
        model.check_verdict(case)
    with pytest.raises(IllegalTransition):
        model.check_sentence(case, "fine", None)
    with pytest.raises(IllegalTransition):
        model.check_restraining_order(case, "acquittal")
    model.check_sentence({**case, "guilty_plea": True}, "fine", None)
    model.check_restraining_order({**case, "verdict": "acquitted"}, "acquittal")
