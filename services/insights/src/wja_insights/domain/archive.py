"""Per-case facts rolled up into counts (force, London day, measure, key), and back into inputs.

When a case's rows pass their retention period they are replaced by what they add to each
count: a report on a day, a decision with its days to decide, an outcome, a closure code, an
order, notifications on time and late. :func:`expand` turns the counts back into rows the
measures read, dated at the day's start (midnight Europe/London): every measure counts each fact on
its own, so the figures of any period bounded at London midnight (quarters, as the CPS counts them)
are the same as before the purge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from wja_insights.domain.measures import LONDON, outcome

Key = tuple[str, date, str, str]  # force ('' unknown), day, measure, key
DATED = {
    "reported": "reported_at",
    "arrested": "arrested_at",
    "requested": "requested_at",
    "finalised": "finalised_at",
}
VERDICTS = ("acquitted", "dismissed")


def day_of(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def contributions(
    facts: Iterable[dict[str, Any]], orders: Iterable[dict[str, Any]], notes: Iterable[dict[str, Any]]
) -> Counter[Key]:
    """What these cases' rows add to each count (``orders`` and ``notes`` carry their ``urn``)."""
    counts: Counter[Key] = Counter()
    force_of: dict[str, str] = {}
    for f in facts:
        force = f.get("force_code") or ""
        force_of[f["urn"]] = force
        for measure, field in DATED.items():
            if f.get(field):
                counts[force, day_of(f[field]), measure, ""] += 1
        if f.get("decision") and f.get("decided_at"):
            days = f.get("days_to_decision")
            counts[force, day_of(f["decided_at"]), "decision", f"{f['decision']}|{'' if days is None else days}"] += 1
        result, at = outcome(f)
        if result and at:
            counts[force, day_of(at), "outcome", result] += 1
        if f.get("closure_code") and f.get("closed_at"):
            counts[force, day_of(f["closed_at"]), "closure", f["closure_code"]] += 1
    for o in orders:
        counts[force_of.get(o["urn"], ""), day_of(o["made_at"]), "order", ""] += 1
    for n in notes:
        force = force_of.get(n["urn"], "")
        counts[force, day_of(n["told_at"]), "told_on_time", ""] += n["on_time"]
        counts[force, day_of(n["told_at"]), "told_late", ""] += n["late"]
    return +counts  # zeros dropped


def _outcome_fields(result: str, at: datetime) -> dict[str, Any]:
    if result == "convicted":
        return {"guilty_plea_at": at}
    if result in VERDICTS:
        return {"verdict": result, "verdict_at": at}
    return {"discontinued": result, "discontinued_at": at}


def expand(rows: Iterable[tuple[str, date, str, str, int]]) -> tuple[list[dict], list[dict], list[dict]]:
    """Counts back into (facts, orders, notifications) rows, each with its ``force_code``."""
    facts: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for force, day, measure, key, n in rows:
        at, base = datetime.combine(day, time(), LONDON), {"force_code": force or None}
        if measure in DATED:
            facts += [{**base, DATED[measure]: at} for _ in range(n)]
        elif measure == "decision":
            decision, days = key.split("|")
            row = {**base, "decision": decision, "decided_at": at, "days_to_decision": int(days) if days else None}
            facts += [dict(row) for _ in range(n)]
        elif measure == "outcome":
            facts += [{**base, **_outcome_fields(key, at)} for _ in range(n)]
        elif measure == "closure":
            facts += [{**base, "closure_code": key, "closed_at": at} for _ in range(n)]
        elif measure == "order":
            orders += [{**base, "made_at": at} for _ in range(n)]
        elif measure in ("told_on_time", "told_late"):
            on_time = n if measure == "told_on_time" else 0
            notes.append({**base, "told_at": at, "on_time": on_time, "late": n - on_time})
    return facts, orders, notes
