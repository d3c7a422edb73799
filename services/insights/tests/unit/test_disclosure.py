"""Small numbers: counts 1-4 and whatever would give them away are not published."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from wja_insights.domain import disclosure, measures

Q = measures.Period(datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
IN = datetime(2026, 8, 3, tzinfo=UTC)
SHOWN = {0: 0, 1: None, 2: None, 3: None, 4: None, 5: 5, 6: 6}


def fact(**kw):
    return {"reported_at": IN, **kw}


def decided(decision, **kw):
    return fact(requested_at=IN, decision=decision, decided_at=IN, days_to_decision=3, **kw)


def told(on_time, late):
    return {"told_at": IN, "on_time": on_time, "late": late}


def protect(forces):
    """Summaries of each force's (facts, orders, notifications) and of all of them, suppressed."""
    raw = {code: measures.summary(*parts, Q) for code, parts in forces.items()}
    every = [[x for p in forces.values() for x in p[i]] for i in range(3)]
    return disclosure.protect(measures.summary(*every, Q), raw)


@pytest.mark.parametrize("n", range(7))
def test_counts_around_the_threshold_for_a_force_and_the_nation(n):
    national, forces = protect({"01": ([decided("charge", guilty_plea_at=IN) for _ in range(n)], [], [])})
    for view in (national, forces["01"]):
        assert view["reports"] == view["charged"] == view["convictions"] == SHOWN[n]
        assert view["prosecutions_completed"] == SHOWN[n]
        assert view["charge_rate"] == (1.0 if n >= 5 else None)
        assert view["conviction_rate"] == (1.0 if n >= 5 else None)
        assert view["days_request_to_decision"] == (
            {"mean": 3.0, "median": 3, "cases": n} if n >= 5 else {"mean": None, "median": None, "cases": SHOWN[n]}
        )


@pytest.mark.parametrize("late", range(7))
def test_notifications_told_and_within_deadline_never_reveal_a_small_count(late):
    national, forces = protect({"01": ([fact() for _ in range(6)], [], [told(6, late)])})
    for view in (national, forces["01"]):
        notes = view["notifications"]
        if late in (1, 2, 3, 4):
            assert None in (notes["told"], notes["within_deadline"])  # told - within would be `late`
            assert notes["share_within_deadline"] is None
        else:
            assert notes == {"told": 6 + late, "within_deadline": 6, "share_within_deadline": round(6 / (6 + late), 4)}


@pytest.mark.parametrize("oocd", range(7))
def test_charge_rate_is_withheld_when_any_count_behind_it_is(oocd):
    facts = [decided("charge") for _ in range(6)] + [decided("out_of_court_disposal") for _ in range(oocd)]
    _, forces = protect({"01": (facts, [], [])})
    view = forces["01"]
    assert view["out_of_court_disposal"] == SHOWN[oocd]
    assert view["charge_rate"] == (None if oocd in (1, 2, 3, 4) else round(6 / (6 + oocd), 4))


def test_a_small_force_is_not_the_national_figure_minus_the_others():
    national, forces = protect(
        {"01": ([fact() for _ in range(3)], [], []), "02": ([fact() for _ in range(10)], [], [])}
    )
    assert forces["01"]["reports"] is None
    assert forces["02"]["reports"] == 10  # a force's figures depend on its own cases only
    assert national["reports"] is None  # else 13 - 10 = 3


def test_two_small_forces_protect_each_other_and_the_national_figure_stays():
    national, forces = protect(
        {code: ([fact() for _ in range(n)], [], []) for code, n in (("01", 3), ("02", 2), ("03", 10))}
    )
    assert [forces[c]["reports"] for c in ("01", "02", "03")] == [None, None, 10]
    assert national["reports"] == 15  # 15 - 10 = 5 = 3 + 2: neither is revealed


def test_a_small_part_is_not_the_total_minus_the_other_part():
    facts = [decided("charge", guilty_plea_at=IN) for _ in range(10)]
    facts += [decided("charge", verdict="acquitted", verdict_at=IN) for _ in range(2)]
    facts += [decided("charge", discontinued="public_interest", discontinued_at=IN) for _ in range(6)]
    _, forces = protect({"01": (facts, [], [])})
    view = forces["01"]
    assert view["unsuccessful_by_reason"]["acquitted"] is None
    assert view["unsuccessful_by_reason"]["public_interest"] is None  # else 8 - 6 = 2
    assert view["victim_issue_share"] == 0.0  # no victim-issue outcome: nothing small behind it


def _recoverable(national, forces):
    """Suppressed figures that one subtraction would give back."""
    found = []
    views = {"": national, **forces}
    for code, v in views.items():
        sums = [
            (v["prosecutions_completed"], [v["convictions"], v["unsuccessful"]]),
            (v["unsuccessful"], list(v["unsuccessful_by_reason"].values())),
        ]
        for total, parts in sums:
            if total is not None and parts.count(None) == 1:
                found.append((code, total, parts))
    for name in disclosure.COUNTS:
        shown = [forces[c][name] for c in forces]
        if national[name] is not None and shown.count(None) == 1:
            found.append(("national", name, shown))
    return found


def test_random_forces_never_leave_a_suppressed_count_recoverable():
    rng = random.Random(18)
    outcomes = [
        {"guilty_plea_at": IN},
        {"verdict": "acquitted", "verdict_at": IN},
        {"discontinued": "victim_retraction", "discontinued_at": IN},
        {"discontinued": "public_interest", "discontinued_at": IN},
    ]
    for _ in range(300):
        forces = {}
        for code in ("01", "02", "03"):
            facts = [decided("charge", **rng.choice(outcomes)) for _ in range(rng.randrange(0, 13))]
            facts += [fact() for _ in range(rng.randrange(0, 7))]
            forces[code] = (facts, [IN] * rng.randrange(0, 7), [told(rng.randrange(0, 7), rng.randrange(0, 7))])
        national, protected = protect(forces)
        assert _recoverable(national, protected) == []
        for v in (national, *protected.values()):
            notes = v["notifications"]
            if notes["told"] is not None and notes["within_deadline"] is not None:
                assert not disclosure.small(notes["told"] - notes["within_deadline"])
            flat = [x for x in (v[n] for n in disclosure.COUNTS) if x is not None]
            assert not any(disclosure.small(x) for x in flat)
