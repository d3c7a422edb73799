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
from collections.abc import Callable, Iterable
from datetime import date, datetime, time

from wja_insights.domain.measures import LONDON, outcome
from wja_insights.domain.model import Fact, Notification, Order

Key = tuple[str, date, str, str]  # force ('' unknown), day, measure, key
Row = tuple[str, date, str, str, int]  # a key and its count
DATED: dict[str, Callable[[datetime], Fact]] = {
    "reported": lambda at: Fact(reported_at=at),
    "arrested": lambda at: Fact(arrested_at=at),
    "requested": lambda at: Fact(requested_at=at),
    "finalised": lambda at: Fact(finalised_at=at),
}
"""The measures that count one dated fact, and the fact they expand back into."""
VERDICTS = frozenset({"acquitted", "dismissed"})
"""The unsuccessful outcomes a verdict decides (the others are discontinuances)."""


def day_of(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def dated(f: Fact) -> dict[str, datetime | None]:
    """The dated facts :data:`DATED` counts, by measure."""
    return {
        "reported": f.get("reported_at"),
        "arrested": f.get("arrested_at"),
        "requested": f.get("requested_at"),
        "finalised": f.get("finalised_at"),
    }


def contributions(facts: Iterable[Fact], orders: Iterable[Order], notes: Iterable[Notification]) -> Counter[Key]:
    """What these cases' rows add to each count (``orders`` and ``notes`` carry their ``urn``)."""
    counts: Counter[Key] = Counter()
    force_of: dict[str, str] = {}
    for f in facts:
        force = f.get("force_code") or ""
        force_of[f["urn"]] = force
        for measure, at in dated(f).items():
            if at:
                counts[force, day_of(at), measure, ""] += 1
        decision, decided_at = f.get("decision"), f.get("decided_at")
        if decision and decided_at:
            days = f.get("days_to_decision")
            counts[force, day_of(decided_at), "decision", f"{decision}|{'' if days is None else days}"] += 1
        result, at = outcome(f)
        if result and at:
            counts[force, day_of(at), "outcome", result] += 1
        code, closed_at = f.get("closure_code"), f.get("closed_at")
        if code and closed_at:
            counts[force, day_of(closed_at), "closure", code] += 1
    for o in orders:
        counts[force_of.get(o["urn"], ""), day_of(o["made_at"]), "order", ""] += 1
    for n in notes:
        force = force_of.get(n["urn"], "")
        counts[force, day_of(n["told_at"]), "told_on_time", ""] += n["on_time"]
        counts[force, day_of(n["told_at"]), "told_late", ""] += n["late"]
    return +counts  # zeros dropped


def _outcome_fact(result: str, at: datetime) -> Fact:
    if result == "convicted":
        return Fact(guilty_plea_at=at)
    if result in VERDICTS:
        return Fact(verdict=result, verdict_at=at)
    return Fact(discontinued=result, discontinued_at=at)


def _fact(measure: str, key: str, at: datetime) -> Fact | None:
    """The fact one count of ``measure`` (and ``key``) stands for, or None for orders and notifications."""
    if measure in DATED:
        return DATED[measure](at)
    if measure == "decision":
        decision, days = key.split("|")
        return Fact(decision=decision, decided_at=at, days_to_decision=int(days) if days else None)
    if measure == "outcome":
        return _outcome_fact(key, at)
    if measure == "closure":
        return Fact(closure_code=key, closed_at=at)
    return None


def expand(rows: Iterable[Row]) -> tuple[list[Fact], list[Order], list[Notification]]:
    """Counts back into (facts, orders, notifications) rows, each with its ``force_code``."""
    facts: list[Fact] = []
    orders: list[Order] = []
    notes: list[Notification] = []
    for force, day, measure, key, n in rows:
        at, force_code = datetime.combine(day, time(), LONDON), force or None
        fact = _fact(measure, key, at)
        if fact is not None:
            facts += [Fact(force_code=force_code, **fact) for _ in range(n)]
        elif measure == "order":
            orders += [Order(force_code=force_code, made_at=at) for _ in range(n)]
        elif measure in ("told_on_time", "told_late"):
            on_time = n if measure == "told_on_time" else 0
            notes.append(Notification(force_code=force_code, told_at=at, on_time=on_time, late=n - on_time))
    return facts, orders, notes
