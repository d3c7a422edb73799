"""Police clocks, each named with its source (docs/rules.md), at the edge days a practitioner would check."""

from datetime import UTC, date, datetime

from wja_intake.domain import model
from wja_platform import legal


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# CSA 2010 s27(3)-(4), DA Act 2021 s29(2)-(3): 48 hours; Sundays, Christmas Day, Good Friday, bank holidays skipped.
def test_dvpn_served_on_the_saturday_before_a_bank_holiday_monday_skips_sunday_and_monday():
    served = at("2026-05-23T10:00:00+01:00")  # Saturday; Monday 25 May 2026 is the Spring bank holiday
    assert model.dvpo_deadline(served) == at("2026-05-27T10:00:00+01:00")  # 14 h Sat + 34 h from Tuesday


def test_dvpn_served_before_easter_skips_good_friday_sunday_and_easter_monday():
    served = at("2026-04-02T12:00:00+01:00")  # Thursday before Good Friday 3 April 2026
    assert model.dvpo_deadline(served) == at("2026-04-07T12:00:00+01:00")  # 12 h Thu + 24 h Sat + 12 h Tue


def test_dvpn_served_on_a_tuesday_is_a_plain_48_hours():
    served = at("2026-09-15T09:00:00Z")
    assert model.dvpo_deadline(served) == at("2026-09-17T09:00:00Z")


def test_dvpn_served_on_a_sunday_counts_from_monday():
    assert model.dvpo_deadline(at("2026-09-13T15:00:00+01:00")) == at("2026-09-16T00:00:00+01:00")


# CSA 2010 s28(10): a DVPO lasts 14 to 28 days from the day it is made.
def test_dvpo_until_must_lie_14_to_28_days_after_it_is_made():
    made = date(2026, 9, 15)
    assert model.order_problems("DVPO", True, made, date(2026, 9, 29)) == []  # 14 days
    assert model.order_problems("DVPO", True, made, date(2026, 10, 13)) == []  # 28 days
    assert model.order_problems("DVPO", True, made, date(2026, 9, 28))[0][0] == "until"  # 13 days
    assert model.order_problems("DVPO", True, made, date(2026, 10, 14))[0][0] == "until"  # 29 days
    assert model.order_problems("DVPO", True, made, None)[0][0] == "until"
    assert model.order_problems("DVPO", False, made, None) == []
    assert model.order_problems("DAPO", True, made, date(2027, 9, 15)) == []  # a DAPO has no 28-day cap


# PACE s47ZB: bail periods run from the bail start date, the day after arrest; s47ZD-ZE extensions to 6 and 9 months.
def test_bail_arrested_on_31_january_runs_to_30_april():
    start = model.bail_start(date(2027, 1, 31), date(2027, 2, 2))
    assert start == date(2027, 2, 1)
    assert model.bail_limit(start, 0) == date(2027, 4, 30)
    assert not model.bail_exceeds_authority(start, date(2027, 4, 30))
    assert model.bail_exceeds_authority(start, date(2027, 5, 1))


def test_bail_start_on_31_january_ends_with_april_which_has_no_31st():
    start = model.bail_start(date(2027, 1, 30), date(2027, 1, 30))
    assert start == date(2027, 1, 31)
    assert model.bail_limit(start, 0) == date(2027, 4, 30)
    assert model.bail_limit(start, 1) == date(2027, 7, 30)
    assert model.bail_limit(start, 2) == date(2027, 10, 30)


def test_periods_run_from_the_bail_start_date_not_from_each_decision():
    start = model.bail_start(date(2026, 11, 30), date(2026, 11, 30))  # 1 December 2026
    # A decision made months later is still measured from the bail start date.
    assert model.bail_limit(start, 1) == date(2027, 5, 31)
    assert model.bail_exceeds_authority(start, date(2027, 6, 1), extensions=1)


def test_a_re_recorded_bail_is_an_extension_only_when_it_extends():
    first = {"kind": "pre_charge_bail", "until": "2027-04-30", "extensions": 0}
    assert model.bail_extensions(first, date(2027, 4, 30)) == 0  # same date, new conditions
    assert model.bail_extensions(first, date(2027, 4, 1)) == 0  # shortened
    assert model.bail_extensions(first, date(2027, 7, 31)) == 1
    assert model.bail_extensions({"kind": "released_under_investigation"}, date(2027, 4, 30)) == 0
    assert model.bail_extensions({}, date(2027, 4, 30)) == 0


# MCA 1980 s127(1) and CJA 1988 s39A(4): the day of the event is not counted ("from").
def test_summary_offences_without_a_statement_have_six_months_from_the_offence():
    offences = [
        {"code": "common_assault", "occurred_at": "2026-09-13T22:00:00+00:00"},  # 13 Sep 23:00 London
        {"code": "harassment", "occurred_at": "2026-08-01T10:00:00+00:00"},
        {"code": "abh", "occurred_at": "2026-08-01T10:00:00+00:00"},
    ]
    limits = {t.offence_code: (t.last_day, t.basis) for t in model.time_limits(offences, None)}
    assert limits == {
        "common_assault": (date(2027, 3, 13), "MCA 1980 s127"),
        "harassment": (date(2027, 2, 1), "MCA 1980 s127"),
    }


def test_s39a_a_statement_five_months_ago_for_an_offence_23_months_old_is_capped_at_two_years():
    offences = [{"code": "common_assault", "occurred_at": "2024-12-15T20:00:00+00:00"}]
    (limit,) = model.time_limits(offences, datetime(2026, 6, 30, 12, tzinfo=UTC))
    assert (limit.last_day, limit.basis) == (date(2026, 12, 15), "CJA 1988 s39A")  # not 30 Dec: 2 years caps it


def test_s39a_a_statement_five_months_after_the_offence_runs_six_months_from_the_statement():
    offences = [{"code": "common_assault", "occurred_at": "2024-12-15T20:00:00+00:00"}]
    (limit,) = model.time_limits(offences, datetime(2025, 5, 15, 12, tzinfo=UTC))
    assert limit.last_day == date(2025, 11, 15)


def test_s39a_is_for_common_assault_only_harassment_keeps_s127():
    offences = [{"code": "harassment", "occurred_at": "2026-08-01T10:00:00+00:00"}]
    (limit,) = model.time_limits(offences, datetime(2026, 11, 1, tzinfo=UTC))
    assert (limit.last_day, limit.basis) == (date(2027, 2, 1), "MCA 1980 s127")


def test_period_arithmetic_beginning_with_and_from():
    assert legal.period_end(date(2027, 2, 1), 3) == date(2027, 4, 30)
    assert legal.period_end(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert legal.period_end(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert legal.months_from(date(2026, 8, 31), 6) == date(2027, 2, 28)


# SCA 2015 s75A (from 7 June 2022) and s76 (from 29 December 2015) are not retrospective.
def test_an_offence_before_it_existed_is_refused_naming_the_field():
    offences = [
        {"code": "strangulation", "occurred_at": at("2022-06-06T22:30:00+00:00")},  # 6 June 23:30 London
        {"code": "strangulation", "occurred_at": at("2022-06-06T23:30:00+00:00")},  # 7 June 00:30 London
        {"code": "coercive_control", "occurred_at": at("2015-12-28T12:00:00+00:00")},
        {"code": "abh", "occurred_at": at("2010-01-01T12:00:00+00:00")},
    ]
    assert [field for field, _ in model.check_offences(offences)] == [
        "offences.0.occurred_at",
        "offences.2.occurred_at",
    ]
