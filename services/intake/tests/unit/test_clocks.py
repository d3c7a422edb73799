"""Police clocks at a month's end: a period ends on the same day, or the month's last day."""

from datetime import date, datetime

from wja_intake.domain import model


def test_bail_period_ends_on_the_last_day_of_a_shorter_month():
    decided = date(2026, 11, 30)  # 3 months on: 28 February 2027
    assert not model.bail_exceeds_authority(decided, date(2027, 2, 28))
    assert model.bail_exceeds_authority(decided, date(2027, 3, 1))
    assert model.bail_exceeds_authority(decided, date(2027, 6, 1), extensions=1) is True
    assert not model.bail_exceeds_authority(decided, date(2027, 5, 30), extensions=1)


def test_s39a_limit_is_the_earlier_of_six_months_from_report_and_two_years_from_offence():
    offences = [{"code": "common_assault", "occurred_at": "2026-08-01T21:00:00+00:00"}]
    assert model.s39a_limit(offences, datetime.fromisoformat("2026-08-31T10:00:00+00:00")) == date(2027, 2, 28)
    old = [{"code": "common_assault", "occurred_at": "2024-02-29T21:00:00+00:00"}]
    assert model.s39a_limit(old, datetime.fromisoformat("2026-01-10T10:00:00+00:00")) == date(2026, 2, 28)
    assert model.s39a_limit([{"code": "stalking", "occurred_at": "2026-08-01T21:00:00+00:00"}], datetime.now()) is None
