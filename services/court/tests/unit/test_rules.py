"""Listing rules without any I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from wja_court.domain import model
from wja_court.domain.model import LONDON
from wja_platform.problems import Conflict

AT = datetime(2026, 9, 14, 12, tzinfo=UTC)
RULES = model.ListingRules()


def test_first_hearing_targets_are_london_dates():
    """TSJ [S39]: remanded, the next sitting; guilty plea anticipated, 14 days; otherwise 28 (configurable)."""
    assert RULES.first_hearing_target(AT, True, "unknown") == date(2026, 9, 14)
    assert RULES.first_hearing_target(AT, False, "guilty") == date(2026, 9, 28)
    assert RULES.first_hearing_target(AT, False, "not_guilty") == date(2026, 10, 12)
    assert model.ListingRules(not_guilty_days=21).first_hearing_target(AT, False, "unknown") == date(2026, 10, 5)
    # 23:30 UTC on 13 September is 00:30 on 14 September in London (BST): the London date counts
    late = datetime(2026, 9, 13, 23, 30, tzinfo=UTC)
    assert RULES.first_hearing_target(late, False, "guilty") == date(2026, 9, 28)


def test_a_sitting_at_0930_on_the_target_day_qualifies():
    """Listing target is a London date [S39]: charged at 14:00 London, a 09:30 London sitting 14 days on qualifies
    (the target used to be the charge's instant plus 14 days, 14:00, which skipped the morning sitting)."""
    charged = datetime(2026, 6, 2, 14, tzinfo=LONDON)
    target = RULES.first_hearing_target(charged, False, "guilty")
    assert target == date(2026, 6, 16)
    sitting = datetime(2026, 6, 16, 9, 30, tzinfo=LONDON)
    now = datetime(2026, 6, 2, 14, 5, tzinfo=LONDON)
    assert model.earliest_sitting(target, now) <= sitting
    assert model.earliest_sitting(target, now) == datetime(2026, 6, 16, 0, 0, tzinfo=LONDON)
    # the day before does not qualify
    assert model.earliest_sitting(target, now) > datetime(2026, 6, 15, 23, 59, tzinfo=LONDON)
    # in winter (GMT) the same holds
    winter = model.earliest_sitting(date(2026, 12, 1), now)
    assert winter == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_a_sitting_that_has_begun_never_qualifies():
    """Remanded: the next sitting, but not one already under way (no source: a hearing cannot be listed in the past)."""
    now = datetime(2026, 6, 16, 11, tzinfo=LONDON)
    assert model.earliest_sitting(date(2026, 6, 16), now) == now


def test_what_each_result_leads_to():
    assert RULES.after_result("guilty_plea", "first_hearing", AT) == ("sentencing", date(2026, 10, 5))
    assert RULES.after_result("not_guilty_plea", "first_hearing", AT) == ("trial", date(2026, 9, 21))
    assert RULES.after_result("adjourned", "first_hearing", AT)[0] == "first_hearing"
    assert RULES.after_result("ineffective", "trial", AT)[0] == "trial"
    assert RULES.after_result("effective", "trial", AT) is None
    assert RULES.after_result("cracked", "trial", AT) is None


def test_trials_weigh_three_units_by_default_and_weights_are_configurable():
    assert RULES.weight("trial") == 3
    assert RULES.weight("first_hearing") == RULES.weight("sentencing") == RULES.weight("other") == 1
    assert model.ListingRules(weights={"trial": 4}).weight("trial") == 4


def test_a_discontinued_case_charged_again_starts_new_proceedings():
    """CPS VRR scheme [S37c]: an overturned discontinuance and a new charge put the case before the court again."""
    assert model.starts_new_proceedings(model.Case("01AA0000126", AT, discontinued=True))
    assert not model.starts_new_proceedings(model.Case("01AA0000126", AT, discontinued=False))


def test_remand_then_high_risk_go_first():
    order = sorted([(False, "standard"), (False, "high"), (True, "standard")], key=lambda c: model.priority(*c))
    assert order == [(True, "standard"), (False, "high"), (False, "standard")]


def test_result_and_outcome_preconditions():
    assert model.result_problems("ineffective", None, "trial") == [
        ("reason_code", "an ineffective trial needs its reason code")
    ]
    assert [f for f, _ in model.result_problems("ineffective", "ZZ9", "trial")] == ["reason_code"]
    assert model.result_problems("ineffective", "M1", "trial") == []
    # every broken rule is listed (journey.md section 3): a trial outcome on a first hearing, without its code
    assert [f for f, _ in model.result_problems("ineffective", None, "first_hearing")] == ["result", "reason_code"]
    case = model.Case("01AA0000126", AT)
    with pytest.raises(Conflict):
        model.check_verdict(case)
    with pytest.raises(Conflict):
        model.check_sentence(case, "fine", None)
    with pytest.raises(Conflict):
        model.check_restraining_order(case, "acquittal")
    model.check_sentence(replace(case, guilty_plea=True), "fine", None)
    model.check_restraining_order(replace(case, verdict="acquitted"), "acquittal")
