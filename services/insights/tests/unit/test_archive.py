"""Rolling per-case rows up into counts keeps every measure of every quarter as it was."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from wja_insights.domain import archive, measures

START = datetime(2026, 1, 1, tzinfo=UTC)


def quarter(text):
    return measures.Period.of_dates(*measures.quarter(text))  # London midnight, as the API counts them


def some_cases(rng, n):
    def at():
        return (
            START + timedelta(days=rng.randrange(0, 540), seconds=rng.randrange(0, 86400))
            if rng.random() < 0.8
            else None
        )

    facts, orders, notes = [], [], []
    for i in range(n):
        urn = f"{rng.choice(['01', '02'])}AR{i:05d}26"
        f = {"urn": urn, "force_code": urn[:2] if rng.random() < 0.9 else None}
        for field in ("reported_at", "arrested_at", "requested_at", "finalised_at"):
            f[field] = at()
        f["decision"] = rng.choice(["charge", "no_further_action", "out_of_court_disposal", None])
        f["decided_at"] = at() if f["decision"] else None
        f["days_to_decision"] = rng.choice([None, 0, 3, 12])
        kind = rng.choice(["plea", "verdict", "discontinued", None])
        f["guilty_plea_at"] = at() if kind == "plea" else None
        f["verdict"] = rng.choice(["convicted", "acquitted", "dismissed"]) if kind == "verdict" else None
        f["verdict_at"] = at() if kind == "verdict" else None
        f["discontinued"] = rng.choice(["victim_retraction", "public_interest"]) if kind == "discontinued" else None
        f["discontinued_at"] = at() if kind == "discontinued" else None
        f["closure_code"] = rng.choice(["15", "16", None])
        f["closed_at"] = at() if f["closure_code"] else None
        facts.append(f)
        orders += [{"urn": urn, "made_at": at() or START} for _ in range(rng.randrange(0, 2))]
        notes += [{"urn": urn, "told_at": at() or START, "on_time": rng.randrange(0, 3), "late": rng.randrange(0, 2)}]
    return facts, orders, notes


def test_every_quarter_is_the_same_from_the_counts():
    rng = random.Random(5)
    facts, orders, notes = some_cases(rng, 120)
    counts = archive.contributions(facts, orders, notes)
    rows = [(*k, n) for k, n in counts.items()]
    old_facts, old_orders, old_notes = archive.expand(rows)
    assert all("urn" not in f for f in old_facts)
    for q in ("2025-26Q4", "2026-27Q1", "2026-27Q2", "2026-27Q3", "2026-27Q4", "2027Q2"):
        period = quarter(q)
        for force in ("01", "02", None):

            def of(rows, force=force):
                return [r for r in rows if r.get("force_code") == force]

            before = measures.summary(
                of(facts),
                [o["made_at"] for o in orders if _force(facts, o) == force],
                [n for n in notes if _force(facts, n) == force],
                period,
            )
            after = measures.summary(of(old_facts), [o["made_at"] for o in of(old_orders)], of(old_notes), period)
            assert after == before, (q, force)


def _force(facts, row):
    return next(f["force_code"] for f in facts if f["urn"] == row["urn"])
