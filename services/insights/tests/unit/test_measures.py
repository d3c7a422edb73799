"""The measures from hand-made facts: definitions, order-insensitivity, suppression, quarters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from wja_insights.domain import measures

Q = measures.Period(datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
IN = datetime(2026, 8, 3, tzinfo=UTC)
OUT = datetime(2026, 11, 3, tzinfo=UTC)


def fact(**kw):
    return {"reported_at": IN, **kw}


def test_financial_and_calendar_quarters():
    assert measures.quarter("2026-27Q1") == (date(2026, 4, 1), date(2026, 7, 1))
    assert measures.quarter("2026-27Q4") == (date(2027, 1, 1), date(2027, 4, 1))
    assert measures.quarter("2026Q3") == (date(2026, 7, 1), date(2026, 10, 1))
    for bad in ("2026-28Q1", "2026-27Q5", "Q2", "2026"):
        with pytest.raises(ValueError, match="quarter"):
            measures.quarter(bad)


def test_charge_rate_conviction_rate_and_victim_issue_share():
    facts = [
        fact(arrested_at=IN, requested_at=IN, decision="charge", decided_at=IN, days_to_decision=2, guilty_plea_at=IN),
        fact(requested_at=IN, decision="charge", decided_at=IN, days_to_decision=4, verdict="convicted", verdict_at=IN),
        fact(requested_at=IN, decision="charge", decided_at=IN, days_to_decision=9, verdict="acquitted", verdict_at=IN),
        fact(requested_at=IN, decision="charge", decided_at=IN, discontinued="victim_retraction", discontinued_at=IN),
        fact(requested_at=IN, decision="no_further_action", decided_at=IN, closure_code="16", closed_at=IN),
        fact(decision="out_of_court_disposal", decided_at=OUT),
        fact(reported_at=OUT),
    ]
    s = measures.summary(facts, [IN, OUT], [{"told_at": IN, "on_time": 3, "late": 1}], Q)
    assert s["reports"] == 6 and s["arrests"] == 1 and s["arrests_per_100_crimes"] == 16.7
    assert (s["charged"], s["no_further_action"], s["out_of_court_disposal"]) == (4, 1, 0)
    assert s["charge_rate"] == 0.8
    assert s["days_request_to_decision"] == {"mean": 5.0, "median": 4, "cases": 3}
    assert (s["prosecutions_completed"], s["convictions"], s["conviction_rate"]) == (4, 2, 0.5)
    assert s["unsuccessful_by_reason"] == {"acquitted": 1, "victim_retraction": 1}
    assert s["victim_issue_share"] == 0.5
    assert s["closures_by_outcome_code"] == {"16": 1}
    assert s["restraining_orders"] == 1
    assert s["notifications"] == {"told": 4, "within_deadline": 3, "share_within_deadline": 0.75}


def test_a_guilty_plea_decides_whatever_arrives_later():
    f = fact(guilty_plea_at=IN, verdict=None)
    assert measures.outcome(f) == ("convicted", IN)
    assert measures.outcome(fact(verdict="dismissed", verdict_at=IN)) == ("dismissed", IN)
    assert measures.outcome(fact()) == (None, None)


def test_force_level_counts_under_five_are_suppressed():
    facts = [fact(requested_at=IN, decision="charge", decided_at=IN) for _ in range(3)] + [fact() for _ in range(6)]
    s = measures.summary(facts, [], [], Q, suppress=True)
    assert s["reports"] == 9
    assert s["charged"] is None and s["referrals_to_cps"] is None and s["charge_rate"] is None
    assert s["suppressed_below"] == 5


def test_suppressed_notifications_and_a_charge_rate_built_on_a_suppressed_count_are_not_published():
    facts = [fact(requested_at=IN, decision="charge", decided_at=IN) for _ in range(6)]
    facts += [fact(requested_at=IN, decision="out_of_court_disposal", decided_at=IN) for _ in range(2)]
    s = measures.summary(facts, [], [{"told_at": IN, "on_time": 3, "late": 0}], Q, suppress=True)
    assert s["out_of_court_disposal"] is None and s["charge_rate"] is None  # 6 / 0.75 - 6 = 2
    assert s["notifications"] == {"told": None, "within_deadline": None, "share_within_deadline": None}


def test_quarters_split_at_midnight_london_not_utc():
    """CPS financial-year quarters [S33] are London calendar quarters: 2026-06-30T23:30Z is 00:30 on 1 July in
    London (BST), so it belongs to 2026-27Q2, not Q1."""
    q1 = measures.Period.of_dates(*measures.quarter("2026-27Q1"))
    q2 = measures.Period.of_dates(*measures.quarter("2026-27Q2"))
    first_bst_hour = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert q2.has(first_bst_hour) and not q1.has(first_bst_hour)
    assert q1.has(datetime(2026, 6, 30, 22, 59, tzinfo=UTC))  # 23:59 London on 30 June
    assert q2.start == datetime(2026, 6, 30, 23, tzinfo=UTC)
    # 1 April 2027 00:30 London is 31 March 23:30 UTC (BST began 28 March): Q1 of 2027-28
    q4 = measures.Period.of_dates(*measures.quarter("2026-27Q4"))
    assert not q4.has(datetime(2027, 3, 31, 23, 30, tzinfo=UTC))
    assert measures.Period.of_dates(*measures.quarter("2027-28Q1")).has(datetime(2027, 3, 31, 23, 30, tzinfo=UTC))
    # in GMT (1 January) London midnight is UTC midnight
    assert q4.start == datetime(2027, 1, 1, tzinfo=UTC)
    s = measures.summary([fact(reported_at=first_bst_hour)], [], [], q2)
    assert s["reports"] == 1
    assert measures.summary([fact(reported_at=first_bst_hour)], [], [], q1)["reports"] == 0


def test_a_discontinued_case_charged_again_is_no_longer_counted_as_discontinued():
    """CPS VRR scheme [S37c]: an overturned discontinuance and a new charge reopen the proceedings."""
    later = datetime(2026, 8, 20, tzinfo=UTC)
    recharged = fact(decision="charge", decided_at=later, discontinued="victim_retraction", discontinued_at=IN)
    assert measures.outcome(recharged) == (None, None)
    still = fact(decision="charge", decided_at=IN, discontinued="victim_retraction", discontinued_at=later)
    assert measures.outcome(still) == ("victim_retraction", later)
    convicted_after = {**recharged, "guilty_plea_at": datetime(2026, 9, 1, tzinfo=UTC)}
    assert measures.outcome(convicted_after)[0] == "convicted"
    s = measures.summary([recharged, still], [], [], Q)
    assert s["unsuccessful_by_reason"] == {"victim_retraction": 1} and s["prosecutions_completed"] == 1
    assert s["charged"] == 2
