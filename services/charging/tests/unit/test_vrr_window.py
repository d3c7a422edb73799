"""The Victims' Right to Review window: 3 calendar months from the decision, later only exceptionally
(CPS Victims' Right to Review guidance)."""

from datetime import datetime

import pytest
from wja_charging.domain import model
from wja_platform.problems import Conflict, Invalid


def test_window_closes_on_the_last_day_of_a_shorter_month():
    decided = datetime.fromisoformat("2026-11-30T12:00:00+00:00")
    assert model.review_window(decided, datetime.fromisoformat("2027-02-28T23:00:00+00:00"), False, None) is False
    with pytest.raises(Conflict):
        model.review_window(decided, datetime.fromisoformat("2027-03-01T09:00:00+00:00"), False, None)


def test_after_three_months_only_exceptionally_and_with_a_reason():
    decided = datetime.fromisoformat("2026-11-30T12:00:00+00:00")
    late = datetime.fromisoformat("2027-03-01T09:00:00+00:00")
    with pytest.raises(Invalid) as refused:
        model.review_window(decided, late, True, "  ")
    assert refused.value.field == "reason"
    assert model.review_window(decided, late, True, "victim was in hospital") is True


def test_a_request_before_the_decision_is_invalid():
    with pytest.raises(Invalid):
        model.review_window(
            datetime.fromisoformat("2026-11-30T12:00:00+00:00"),
            datetime.fromisoformat("2026-11-29T12:00:00+00:00"),
            False,
            None,
        )
