"""Charging rules with their sources (docs/rules.md): every broken rule listed, time limits, commencement."""

from datetime import date

import pytest
from wja_charging.domain import model
from wja_platform.problems import Conflict


def test_every_broken_rule_of_a_decision_is_listed():
    request = model.DecisionRequest("no_further_action", "threshold", charges=("abh",))
    fields = [f for f, _ in model.decision_problems(request, date(2026, 9, 14))]
    assert fields == ["charges", "basis", "test", "bail_risk_justification"]


# SCA 2015 s75A (7 June 2022) and s76 (29 December 2015) are not retrospective.
def test_strangulation_before_7_june_2022_cannot_be_charged():
    offences = {"strangulation": date(2022, 6, 6), "coercive_control": date(2015, 12, 29)}
    charges = ["strangulation", "coercive_control", "abh"]
    assert [f for f, _ in model.commencement_problems(charges, offences)] == ["charges.0.offence_code"]


def test_a_charge_not_among_the_reported_offences_takes_the_incidents_date():
    offences = {"abh": date(2021, 3, 1), "criminal_damage": date(2021, 3, 2)}
    assert model.occurred_on("strangulation", offences) == date(2021, 3, 1)
    assert [f for f, _ in model.commencement_problems(["strangulation"], offences)] == ["charges.0.offence_code"]


# MCA 1980 s127(1): 6 months from the offence; CJA 1988 s39A(4): common assault, 6 months from the statement, ≤ 2 years.
def test_a_summary_charge_past_its_limit_is_refused_naming_the_limit():
    offences = {"harassment": date(2026, 1, 10)}
    limits = model.time_limits(["harassment"], offences, None)
    with pytest.raises(Conflict) as refused:
        model.check_time_limits(limits, date(2026, 7, 11))
    assert "2026-07-10" in refused.value.message and "MCA 1980 s127" in refused.value.message
    assert model.check_time_limits(limits, date(2026, 6, 1)) == []


def test_a_summary_charge_within_14_days_of_its_limit_is_warned():
    offences = {"common_assault": date(2024, 12, 15)}
    limits = model.time_limits(["common_assault"], offences, date(2026, 6, 30))
    assert [(t.last_day, t.basis) for t in limits] == [(date(2026, 12, 15), "CJA 1988 s39A")]
    (warning,) = model.check_time_limits(limits, date(2026, 12, 1))
    assert "2026-12-15" in warning and "14 days" in warning
    assert model.check_time_limits(limits, date(2026, 11, 30)) == []


def test_either_way_offences_have_no_time_limit():
    assert model.time_limits(["abh"], {"abh": date(2001, 1, 1)}, None) == []
