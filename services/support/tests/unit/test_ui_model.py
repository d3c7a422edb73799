"""The workspace's view rules: the most urgent case first, the counts at the top, the filters, London times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from wja_support.entrypoints import http
from wja_support.entrypoints import ui_model as vm

NOW = datetime(2026, 9, 14, 12, tzinfo=UTC)  # 13:00 in London (BST)


def row(urn: str, deadline: str | None, overdue: int = 0, stage: str = "pre_trial", **more) -> dict:
    return {"urn": urn, "stage": stage, "idva": "idva-a", "next_deadline": deadline, "overdue": overdue, **more}


CASES = [
    row("01SP1000026", None),
    row("01SP2000026", "2026-09-20T22:59:59Z"),
    row("02SP3000026", "2026-09-14T22:59:59Z", stage="charging"),  # 23:59:59 London today: due today
    row("01SP4000026", "2026-09-10T22:59:59Z", overdue=2),
    row("02SP5000026", "2026-09-15T22:59:59Z"),
    row("01SP6000026", "2026-09-11T22:59:59Z", overdue=1),
]


def test_overdue_first_then_due_today_then_by_next_deadline_and_none_last():
    order = [r["urn"] for r in vm.most_urgent_first(CASES, NOW)]
    assert order == ["01SP4000026", "01SP6000026", "02SP3000026", "02SP5000026", "01SP2000026", "01SP1000026"]


def test_due_today_is_the_london_date_not_the_utc_date():
    late_evening = datetime(2026, 9, 14, 23, 30, tzinfo=UTC)  # already 15 Sep in London
    assert vm.urgency(row("x", "2026-09-14T22:59:59Z"), NOW).due_today
    assert not vm.urgency(row("x", "2026-09-14T22:59:59Z"), late_evening).due_today
    assert vm.urgency(row("x", "2026-09-15T22:59:59Z"), late_evening).due_today


def test_counts_overdue_due_today_and_new_referrals_not_yet_contacted():
    closed = row("03SP7000026", None, support_closed=True)
    counts = vm.counts([*CASES, closed], NOW, contacted={"01SP4000026", "01SP2000026"})
    assert counts == {"overdue": 2, "due_today": 1, "new_referrals": 4}


def test_filters_by_stage_overdue_and_force_from_the_urn():
    def keep(**query):
        f = vm.Filters.from_query(query)
        return [r["urn"] for r in CASES if f.keep(r)]

    assert keep(stage="charging") == ["02SP3000026"]
    assert keep(overdue="1") == ["01SP4000026", "01SP6000026"]
    assert keep(force="02") == ["02SP3000026", "02SP5000026"]
    assert keep(force="01", overdue="1", stage="pre_trial") == ["01SP4000026", "01SP6000026"]
    assert keep(stage="nonsense", force="x1") == [r["urn"] for r in CASES]  # unknown values filter nothing


def test_unassigned_rows_need_an_idva_and_the_flag_from_the_rows_is_kept():
    unassigned, flagged = row("01SP1000026", None, idva=None), row("01SP2000026", None, needs_idva=True)
    rows = vm.caseload_rows([unassigned, flagged], NOW, set())
    assert [r["needs_idva"] for r in rows] == [True, True]
    assert not vm.caseload_rows([row("01SP3000026", None)], NOW, set())[0]["needs_idva"]


def test_a_datetime_local_input_is_london_wall_time():
    assert vm.local_time("2026-09-14T13:05") == datetime(2026, 9, 14, 12, 5, tzinfo=UTC)
    assert vm.local_time("2026-12-14T13:05") == datetime(2026, 12, 14, 13, 5, tzinfo=UTC)
    assert vm.local_time("yesterday") == "yesterday"


def test_a_form_is_checked_by_the_apis_model_and_the_problems_never_echo_the_value():
    with pytest.raises(ValidationError) as caught:
        vm.checked(http.Contact, {"about": [], "channel": "carrier pigeon Harriet", "at": "yesterday"})
    problems = vm.problems(caught.value)
    assert {p["field"] for p in problems} == {"about", "channel", "at"}
    assert "Harriet" not in str(problems) and "yesterday" not in str(problems)


def test_obligations_carry_their_chain_of_duties():
    entries = [
        {"id": "a", "summary": "Crime reported", "duty_holder": None},
        {
            "id": "b",
            "summary": "Convicted",
            "duty_holder": "wcu",
            "steps": [
                {"duty_holder": "court", "by": "2026-09-21T22:59:59Z"},
                {"duty_holder": "wcu", "by": "2026-09-22T22:59:59Z"},
            ],
        },
    ]
    (only,) = vm.obligations(entries)
    assert only["id"] == "b"
    assert only["steps_text"] == ["COURT by 21 Sep 2026 23:59", "WCU by 22 Sep 2026 23:59"]
