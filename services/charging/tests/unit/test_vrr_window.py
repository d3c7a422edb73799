"""The Victims' Right to Review window: 3 calendar months from the decision, clamped at a month's end."""

from datetime import datetime

import pytest
from wja_charging.domain import model


def test_window_closes_on_the_last_day_of_a_shorter_month():
    decided = datetime.fromisoformat("2026-11-30T12:00:00+00:00")
    model.review_window(decided, datetime.fromisoformat("2027-02-28T23:00:00+00:00"))
    with pytest.raises(model.IllegalTransition):
        model.review_window(decided, datetime.fromisoformat("2027-03-01T09:00:00+00:00"))


def test_a_request_before_the_decision_is_invalid():
    with pytest.raises(model.Invalid):
        model.review_window(
            datetime.fromisoformat("2026-11-30T12:00:00+00:00"), datetime.fromisoformat("2026-11-29T12:00:00+00:00")
        )
