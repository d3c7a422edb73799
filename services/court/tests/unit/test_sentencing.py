"""Custodial terms: SA 2020 s277 (suspended sentences), statutory maxima, DVCVA 2004 s35 (Victim Contact Scheme)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from wja_court.domain import model, sentencing
from wja_court.domain.sentencing import Length
from wja_platform.problems import Conflict, Invalid

OFFENCES = (
    "common_assault",
    "abh",
    "coercive_control",
    "strangulation",
    "harassment",
    "harassment_fear_of_violence",
    "stalking",
    "stalking_fear_of_violence",
    "breach_restraining_order",
    "breach_non_molestation_order",
    "criminal_damage",
    "threats_to_kill",
)


def refused(disposal, months=None, days=None, offences=("abh",)):
    with pytest.raises(Invalid) as err:
        sentencing.check_term(disposal, months, days, list(offences))
    return err.value


def test_every_offence_code_of_the_contract_has_a_maximum_with_its_source():
    from typing import get_args

    from wja_schemas.types import OffenceCode

    assert set(sentencing.MAXIMA) == set(OFFENCES) == set(get_args(OffenceCode))
    assert all(m.source for m in sentencing.MAXIMA.values())
    assert str(sentencing.MAXIMA["common_assault"].length) == "6 months"  # CJA 1988 s39
    assert str(sentencing.MAXIMA["strangulation"].length) == "5 years"  # SCA 2015 s75A(5)(b)
    assert str(sentencing.MAXIMA["harassment_fear_of_violence"].length) == "10 years"  # PCA 2017 s175


def test_a_month_is_a_calendar_month_read_both_ways():
    assert Length(6, "months").readings() == (181, 184)
    assert Length(1, "months").readings() == (28, 31)
    assert Length(2, "years").readings() == (730, 731)
    assert Length(51, "weeks").readings() == (357, 357)


def test_suspended_sentence_term_is_14_days_to_2_years_sa_2020_s277():
    assert sentencing.check_term("suspended_sentence", None, 14, ["abh"]) == Length(14, "days")
    assert refused("suspended_sentence", days=13).field == "custody_days"
    assert "14 days" in refused("suspended_sentence", days=13).message
    assert sentencing.check_term("suspended_sentence", 24, None, ["abh"]) == Length(24, "months")
    too_long = refused("suspended_sentence", months=25)
    assert too_long.field == "custody_months" and "2 years" in too_long.message and "s277" in too_long.message
    assert sentencing.check_term("suspended_sentence", None, 731, ["abh"])  # 2 years from a leap year's start
    assert refused("suspended_sentence", days=732).field == "custody_days"
    assert sentencing.check_term("suspended_sentence", 1, None, ["abh"]) == Length(1, "months")  # ≥ 28 days


def test_immediate_custody_has_no_14_day_floor_but_the_maximum_applies():
    assert sentencing.check_term("custody", None, 7, ["abh"]) == Length(7, "days")
    assert sentencing.check_term("custody", 30, None, ["abh"]) == Length(30, "months")


def test_a_term_never_exceeds_the_offence_maximum():
    assert sentencing.check_term("custody", 6, None, ["common_assault"])
    over = refused("custody", months=7, offences=["common_assault"])
    assert over.field == "custody_months"
    assert "6 months" in over.message and "CJA 1988 s39" in over.message
    assert sentencing.check_term("custody", None, 184, ["common_assault"])  # six months can be 184 days
    assert refused("custody", days=185, offences=["common_assault"]).field == "custody_days"
    assert sentencing.check_term("custody", 60, None, ["abh"])
    assert "5 years" in refused("custody", months=61, offences=["abh"]).message
    assert sentencing.check_term("custody", 120, None, ["threats_to_kill"])
    assert refused("custody", months=121, offences=["threats_to_kill"])
    # stalking (s2A): 51 weeks in the text, read as six months while CJA 2003 s281(5) is not in force
    assert sentencing.check_term("suspended_sentence", 6, None, ["stalking"])
    assert refused("suspended_sentence", days=357, offences=["stalking"])


def test_several_charges_allow_consecutive_terms_each_within_its_maximum():
    assert sentencing.check_term("custody", 66, None, ["abh", "common_assault"])
    assert refused("custody", months=67, offences=["abh", "common_assault"]).field == "custody_months"


def test_unknown_charges_leave_the_maximum_unchecked():
    assert sentencing.check_term("custody", 200, None, [])


def test_term_shape():
    assert refused("custody").field == "custody_months"  # custody needs a term
    assert refused("custody", months=3, days=5).field == "custody_days"  # not both
    assert refused("community_order", months=3).field == "custody_months"  # only custodial disposals
    assert refused("fine", days=3).field == "custody_days"
    assert sentencing.check_term("fine", None, None, ["abh"]) is None


def test_victim_contact_scheme_dvcva_2004_s35():
    """Immediate custody (not suspended) of 12 months or more for a violent or sexual offence."""
    assert sentencing.vcs_eligible("custody", Length(12, "months"), ["abh"])
    assert sentencing.vcs_eligible("custody", Length(365, "days"), ["strangulation"])
    assert not sentencing.vcs_eligible("custody", Length(364, "days"), ["abh"])
    assert not sentencing.vcs_eligible("custody", Length(11, "months"), ["threats_to_kill"])
    assert not sentencing.vcs_eligible("suspended_sentence", Length(24, "months"), ["abh"])
    assert not sentencing.vcs_eligible("custody", Length(18, "months"), ["breach_non_molestation_order"])
    assert not sentencing.vcs_eligible("custody", Length(18, "months"), ["coercive_control"])
    assert sentencing.vcs_eligible("custody", Length(18, "months"), ["criminal_damage", "stalking_fear_of_violence"])
    assert not sentencing.vcs_eligible("community_order", None, ["abh"])
    assert {
        "abh",
        "strangulation",
        "threats_to_kill",
        "harassment_fear_of_violence",
        "stalking_fear_of_violence",
    } == sentencing.VIOLENT_OR_SEXUAL


def test_check_sentence_needs_a_conviction_and_returns_the_term():
    case = model.Case("01AA0000126", datetime(2026, 9, 14, tzinfo=UTC), offences=("abh",))
    with pytest.raises(Conflict):
        model.check_sentence(case, "custody", 12)
    assert model.check_sentence(replace(case, guilty_plea=True), "custody", 12) == Length(12, "months")
    with pytest.raises(Invalid):
        model.check_sentence(replace(case, verdict="convicted"), "custody", 61)
