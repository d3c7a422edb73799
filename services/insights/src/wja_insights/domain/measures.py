"""The outcome measures, computed from per-case facts (pure Python, order-insensitive).

Definitions follow the CPS quarterly data summaries and ONS (domain.md section 6):
charge rate = charged ÷ (charged + NFA + OOCD) by the final decision; conviction rate =
convictions ÷ prosecutions completed; the victim-issue share of unsuccessful outcomes counts
victim retraction, victim non-attendance and evidence of the victim not supporting the case.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from wja_insights.domain import disclosure
from wja_insights.domain.disclosure import SUPPRESS_BELOW, VICTIM_ISSUES
from wja_insights.domain.model import Fact, Notification

__all__ = ["SUPPRESS_BELOW", "VICTIM_ISSUES", "Period", "outcome", "quarter", "summary"]
LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def has(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end

    @classmethod
    def of_dates(cls, start: date, end: date) -> Period:
        """[start, end) London dates: each day begins at midnight Europe/London, as the CPS counts its
        quarters (so the first BST hour of 1 April, 1 July and 1 October belongs to the new quarter)."""
        return cls(datetime.combine(start, time(), LONDON), datetime.combine(end, time(), LONDON))


def quarter(text: str) -> tuple[date, date]:
    """A quarter's [start, end) London dates (``Period.of_dates`` turns them into instants).

    ``2026-27Q2`` is a financial-year quarter as the CPS publishes it (Q1 = April-June 2026,
    so Q2 = July-September); ``2026Q3`` is a calendar quarter (July-September 2026).
    """
    msg = "a quarter looks like 2026-27Q2 (financial year) or 2026Q3 (calendar year)"
    try:
        year_part, q = text.upper().split("Q")
        n, first = int(q), int(year_part[:4])
    except ValueError:
        raise ValueError(msg) from None
    if not 1 <= n <= 4:
        raise ValueError(msg)
    if len(year_part) == 4:
        starts = [(first, 1), (first, 4), (first, 7), (first, 10), (first + 1, 1)]
    elif (
        len(year_part) == 7
        and year_part[4] == "-"
        and year_part[5:].isdigit()
        and int(year_part[5:]) == (first + 1) % 100
    ):
        starts = [(first, 4), (first, 7), (first, 10), (first + 1, 1), (first + 1, 4)]
    else:
        raise ValueError(msg)
    (y0, m0), (y1, m1) = starts[n - 1], starts[n]
    return date(y0, m0, 1), date(y1, m1, 1)


def outcome(f: Fact) -> tuple[str | None, datetime | None]:
    """('convicted' | an unsuccessful reason | None, when): a guilty plea or verdict decides."""
    if f.get("guilty_plea_at"):
        return "convicted", f["guilty_plea_at"]
    verdict = f.get("verdict")
    if verdict:
        return ("convicted" if verdict == "convicted" else verdict), f.get("verdict_at")
    discontinued = f.get("discontinued")
    if discontinued and not recharged(f):
        return discontinued, f.get("discontinued_at")
    return None, None


def recharged(f: Fact) -> bool:
    """A charge decided after the discontinuance (the victim's right to review overturned it): the proceedings
    run again, so the discontinuance is no longer the case's outcome."""
    decided_at, discontinued_at = f.get("decided_at"), f.get("discontinued_at")
    return (
        f.get("decision") == "charge"
        and decided_at is not None
        and discontinued_at is not None
        and decided_at > discontinued_at
    )


def summary(
    facts: Sequence[Fact],
    orders: Sequence[datetime],
    notifications: Sequence[Notification],
    period: Period,
    *,
    suppress: bool = False,
) -> dict[str, Any]:
    """Every measure of ``period`` (see the module's docstring), suppressed on its own if ``suppress``."""
    decided = [f for f in facts if period.has(f.get("decided_at")) and f.get("decision")]
    days = [d for d in (f.get("days_to_decision") for f in decided) if d is not None]
    completed = [(o, at) for o, at in map(outcome, facts) if o and at is not None and period.has(at)]
    counts = _counts(facts, orders, decided, completed, period)
    unsuccessful = Counter(o for o, _ in completed if o != "convicted")
    told = [n for n in notifications if period.has(n["told_at"])]
    on_time, late = sum(n["on_time"] for n in told), sum(n["late"] for n in told)
    charged, arrests, reports = counts["charged"], counts["arrests"], counts["reports"]
    charge_base = charged + counts["no_further_action"] + counts["out_of_court_disposal"]
    victim_issue = sum(unsuccessful[r] for r in VICTIM_ISSUES)
    result: dict[str, Any] = {
        **counts,
        "arrests_per_100_crimes": round(100 * arrests / reports, 1) if reports else None,
        "charge_rate": round(charged / charge_base, 4) if charge_base else None,
        "days_request_to_decision": {
            "mean": round(statistics.fmean(days), 2) if days else None,
            "median": statistics.median(days) if days else None,
            "cases": len(days),
        },
        "conviction_rate": round(counts["convictions"] / len(completed), 4) if completed else None,
        "unsuccessful_by_reason": dict(sorted(unsuccessful.items())),
        "victim_issue_share": round(victim_issue / sum(unsuccessful.values()), 4) if unsuccessful else None,
        "closures_by_outcome_code": dict(
            sorted(Counter(f.get("closure_code") for f in facts if period.has(f.get("closed_at"))).items())
        ),
        "notifications": {
            "told": on_time + late,
            "within_deadline": on_time,
            "share_within_deadline": round(on_time / (on_time + late), 4) if on_time + late else None,
        },
    }
    return disclosure.protect(result, {})[0] if suppress else result


def _counts(
    facts: Sequence[Fact],
    orders: Sequence[datetime],
    decided: Sequence[Fact],
    completed: Sequence[tuple[str, datetime]],
    period: Period,
) -> dict[str, int]:
    """The counted measures of ``period`` in their published order (``decided``: the final decisions in it,
    ``completed``: the outcomes in it)."""
    decisions = Counter(f.get("decision") for f in decided)
    convictions = sum(1 for o, _ in completed if o == "convicted")
    return {
        "reports": sum(period.has(f.get("reported_at")) for f in facts),
        "arrests": sum(period.has(f.get("arrested_at")) for f in facts),
        "referrals_to_cps": sum(period.has(f.get("requested_at")) for f in facts),
        "charged": decisions["charge"],
        "no_further_action": decisions["no_further_action"],
        "out_of_court_disposal": decisions["out_of_court_disposal"],
        "administratively_finalised": sum(period.has(f.get("finalised_at")) for f in facts),
        "prosecutions_completed": len(completed),
        "convictions": convictions,
        "unsuccessful": len(completed) - convictions,
        "restraining_orders": sum(period.has(at) for at in orders),
    }
