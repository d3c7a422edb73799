"""The simulator's calendar and its own count of what insights must publish."""

from datetime import UTC, datetime, timedelta

from wja_cli import expected, journeys, pace

T = datetime(2027, 5, 10, 9, tzinfo=UTC)


def test_financial_quarters_as_the_cps_names_them():
    assert pace.quarter_name(datetime(2027, 1, 15).date()) == "2026-27Q4"
    assert pace.quarter_name(datetime(2027, 4, 1).date()) == "2027-28Q1"
    start, end = pace.quarter_bounds("2026-27Q4")
    assert (start.isoformat(), end.isoformat()) == ("2027-01-01T00:00:00+00:00", "2027-04-01T00:00:00+01:00")
    assert pace.quarters(datetime(2027, 3, 31, 22, tzinfo=UTC), datetime(2027, 7, 1, tzinfo=UTC)) == [
        "2026-27Q4",
        "2027-28Q1",
        "2027-28Q2",
    ]  # 23:00 London on 31 March is still Q4; 01:00 London on 1 July is Q2


def test_the_default_start_is_the_next_quarter_after_the_wall_clock():
    assert pace.default_start(datetime(2026, 11, 30, 8, tzinfo=UTC)) == datetime(2027, 1, 1, 9, tzinfo=UTC)
    assert pace.default_start(datetime(2027, 2, 1, tzinfo=UTC)) == datetime(2027, 4, 1, 8, tzinfo=UTC)  # BST


def plan_with(index: int, **at) -> journeys.CasePlan:
    p = journeys.plan(index + 1, seed=3, start=T)[index]
    p.at.update(at)
    return p


def test_counts_follow_the_simulated_times_of_the_steps():
    charged = plan_with(0, reported=T, requested=T + timedelta(days=1), decided=("charge", T + timedelta(days=9)))
    charged.told += [(T + timedelta(days=2), 1, 0), (T + timedelta(days=30), 0, 1), (T + timedelta(days=200), 1, 0)]
    nfa = plan_with(1, reported=T, requested=T, decided=("no_further_action", T + timedelta(hours=3)))
    nfa.at["closed"] = ("15", T + timedelta(days=4))
    start, end = pace.quarter_bounds("2027-28Q1")
    got = expected.figures([charged, nfa], start, end)
    assert got["days_request_to_decision"] == {"mean": 4.0, "median": 4.0, "cases": 2}
    assert (got["charged"], got["no_further_action"], got["charge_rate"]) == (1, 1, 0.5)
    assert got["notifications"] == {"told": 2, "within_deadline": 1, "share_within_deadline": 0.5}
    assert got["closures_by_outcome_code"] == {"15": 1}


def test_a_published_figure_must_equal_the_count_and_only_suppression_may_hide_one():
    want = {"reports": 12, "arrests": 7, "notifications": {"told": 9, "within_deadline": 8}}
    assert expected.compare(want, want) == ([], [])
    wrong, _ = expected.compare(want, {**want, "arrests": 6})
    assert wrong == ["arrests: insights 6, expected 7"]
    wrong, withheld = expected.compare(want, {**want, "reports": None})
    assert wrong and not withheld  # nothing small beside it: hiding 12 is not suppression
    small = {**want, "notifications": {"told": 9, "within_deadline": 3}}
    hidden = {**small, "notifications": {"told": None, "within_deadline": None}}
    assert expected.compare(small, hidden) == ([], ["notifications.told", "notifications.within_deadline"])
