"""Insights are correct by construction: simulated journeys, the same measures counted by hand."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from wja_cli import journeys, simulate
from wja_platform import auth

from .helpers import until

pytestmark = pytest.mark.e2e
FORCE = "07"


def suppressed(value):
    return None if isinstance(value, int) and 0 < value < 5 else value


def expected(plans: list[journeys.CasePlan]) -> dict:
    referred = [p for p in plans if p.referred]
    final = Counter("charge" if p.charged else p.decision for p in referred)
    completed = [p for p in plans if p.outcome]
    unsuccessful = Counter(p.discontinuance_reason or p.outcome for p in completed if p.outcome != "convicted")
    return {
        "reports": len(plans),
        "arrests": sum(p.arrested for p in plans),
        "referrals_to_cps": len(referred),
        "charged": final["charge"],
        "no_further_action": final["no_further_action"],
        "out_of_court_disposal": final["out_of_court_disposal"],
        "prosecutions_completed": len(completed),
        "convictions": sum(p.convicted for p in completed),
        "unsuccessful": sum(unsuccessful.values()),
        "restraining_orders": sum(p.restraining_order for p in plans),
        "unsuccessful_by_reason": dict(unsuccessful),
        "closures_by_outcome_code": dict(Counter(p.closure_code for p in referred if not p.charged)),
    }


def test_simulated_journeys_give_exactly_the_hand_counted_measures(system):
    plans = journeys.plan(80, seed=11, forces=(FORCE,))
    key = auth.ensure_dev_key(system.stack.state_dir).read_text().strip()
    urls = {s: system.url(s) for s in ("intake", "charging", "court", "support")}
    summary = asyncio.run(simulate.simulate(plans, urls, key, rate=40, sessions=False))
    assert summary.failed == Counter(), summary.failed
    assert summary.completed == len(plans)
    want = expected(plans)
    analyst = system.client("insights", "cps", "analyst", "analyst-1")
    to = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    since = min(p.reported_at for p in plans).date().isoformat()

    def measured():
        body = analyst.get(f"/v1/summary?from={since}&to={to}&force={FORCE}").json()
        return (
            body
            if body["reports"] == want["reports"]
            and body["restraining_orders"] == suppressed(want["restraining_orders"])
            and body["prosecutions_completed"] == suppressed(want["prosecutions_completed"])
            else None
        )

    got = until(measured, "insights to catch up", timeout=60)
    for name in (
        "reports",
        "arrests",
        "referrals_to_cps",
        "charged",
        "no_further_action",
        "out_of_court_disposal",
        "prosecutions_completed",
        "convictions",
        "unsuccessful",
        "restraining_orders",
    ):
        assert got[name] == suppressed(want[name]), name
    assert got["unsuccessful_by_reason"] == {
        k: suppressed(v) for k, v in sorted(want["unsuccessful_by_reason"].items())
    }
    assert got["closures_by_outcome_code"] == {
        k: suppressed(v) for k, v in sorted(want["closures_by_outcome_code"].items())
    }
    charge_base = want["charged"] + want["no_further_action"] + want["out_of_court_disposal"]
    if None not in (got["charged"], got["no_further_action"]):
        assert got["charge_rate"] == round(want["charged"] / charge_base, 4)
    if got["convictions"] is not None:
        assert got["conviction_rate"] == round(want["convictions"] / want["prosecutions_completed"], 4)
