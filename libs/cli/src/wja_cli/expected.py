"""What insights must publish for simulated journeys, counted from the plans alone, and the check.

Counted here from what the simulator did and when (``CasePlan.at``, ``CasePlan.told``), with the
definitions of the CPS quarterly data summaries (``docs/simulation.md``), never from insights' code:
so a figure that insights gets wrong, or that a service stamps with the wrong time, shows as a mismatch.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from typing import Any

from wja_cli.journeys import CasePlan

SMALL = range(1, 5)
"""Counts insights never publishes (primary suppression); larger ones may be hidden only with them."""


def _outcome(p: CasePlan) -> tuple[str, datetime] | None:
    if "guilty_plea" in p.at:
        return "convicted", p.at["guilty_plea"]
    if "verdict" in p.at:
        return p.at["verdict"]  # type: ignore[no-any-return]
    if "discontinued" in p.at:
        return p.at["discontinued"]  # type: ignore[no-any-return]
    return None


def figures(plans: list[CasePlan], start: datetime, end: datetime) -> dict[str, Any]:
    """The measures of ``[start, end)`` as insights' ``GET /v1/summary`` names them."""

    def has(at: datetime | None) -> bool:
        return at is not None and start <= at < end

    decided = [(p, *p.at["decided"]) for p in plans if "decided" in p.at and has(p.at["decided"][1])]
    decisions = Counter(kind for _, kind, _ in decided)
    days = [(at.date() - p.at["requested"].date()).days for p, _, at in decided]
    done = [o for o in map(_outcome, plans) if o and has(o[1])]
    unsuccessful = Counter(kind for kind, _ in done if kind != "convicted")
    told = [(on, late) for p in plans for at, on, late in p.told if has(at)]
    on_time, late = sum(on for on, _ in told), sum(lt for _, lt in told)
    charge_base = sum(decisions.values())
    reports = sum(has(p.at.get("reported")) for p in plans)
    arrests = sum(has(p.at.get("arrested")) for p in plans)
    return {
        "reports": reports,
        "arrests": arrests,
        "referrals_to_cps": sum(has(p.at.get("requested")) for p in plans),
        "charged": decisions["charge"],
        "no_further_action": decisions["no_further_action"],
        "out_of_court_disposal": decisions["out_of_court_disposal"],
        "administratively_finalised": 0,
        "prosecutions_completed": len(done),
        "convictions": sum(1 for kind, _ in done if kind == "convicted"),
        "unsuccessful": sum(unsuccessful.values()),
        "restraining_orders": sum(has(at) for p in plans for at in p.at.get("orders", [])),
        "arrests_per_100_crimes": round(100 * arrests / reports, 1) if reports else None,
        "charge_rate": round(decisions["charge"] / charge_base, 4) if charge_base else None,
        "days_request_to_decision": {
            "mean": round(statistics.fmean(days), 2) if days else None,
            "median": statistics.median(days) if days else None,
            "cases": len(days),
        },
        "conviction_rate": round(sum(k == "convicted" for k, _ in done) / len(done), 4) if done else None,
        "unsuccessful_by_reason": dict(sorted(unsuccessful.items())),
        "closures_by_outcome_code": dict(
            sorted(Counter(p.at["closed"][0] for p in plans if "closed" in p.at and has(p.at["closed"][1])).items())
        ),
        "notifications": {
            "told": on_time + late,
            "within_deadline": on_time,
            "share_within_deadline": round(on_time / (on_time + late), 4) if on_time + late else None,
        },
    }


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def compare(want: dict[str, Any], got: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(mismatches, withheld): a published figure must equal the count; a hidden one (``None`` where a number
    was due) is allowed only where suppression explains it: it is small, or a small count sits beside it."""
    w, g = _flat(want), _flat(got)
    any_small = any(isinstance(v, int) and not isinstance(v, bool) and v in SMALL for v in w.values())
    wrong, withheld = [], []
    for name, value in w.items():
        published = g.get(name, "absent")
        if published == value:
            continue
        if published is None and (any_small or value is None):
            withheld.append(name)
            continue
        wrong.append(f"{name}: insights {published!r}, expected {value!r}")
    for name in set(g) - set(w):
        if name.split(".")[0] in ("unsuccessful_by_reason", "closures_by_outcome_code") and g[name] not in (0, None):
            wrong.append(f"{name}: insights {g[name]!r}, expected nothing")
    return wrong, withheld


def last_time(plans: list[CasePlan]) -> datetime:
    """The latest simulated time any plan recorded (so the quarters to check run to it)."""
    times: list[datetime] = [t for p in plans for t, _, _ in p.told]
    for p in plans:
        for value in p.at.values():
            times += [v for v in (value if isinstance(value, list | tuple) else [value]) if isinstance(v, datetime)]
    return max(times)


async def check(
    plans: list[CasePlan], insights_url: str, key: str, *, force: str | None = None, timeout: float = 120.0
) -> list[tuple[str, dict[str, Any], dict[str, Any], list[str], list[str]]]:
    """For each financial quarter the plans span: (quarter, expected, insights' summary, mismatches, withheld).

    Waits (up to ``timeout`` seconds) until insights has applied every event the expected figures count.
    """
    import asyncio
    import time

    import httpx
    from wja_platform import auth

    from wja_cli import pace

    token = auth.mint(key, sub="analyst-sim", agency="cps", role="analyst", ttl_seconds=3600)
    scope = f"&force={force}" if force else ""
    out = []
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(
        base_url=insights_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        for quarter in pace.quarters(min(p.reported_at for p in plans), last_time(plans)):
            start, end = pace.quarter_bounds(quarter)
            want = figures(plans, start, end)
            while True:
                got = (await http.get(f"/v1/summary?quarter={quarter}{scope}")).json()
                wrong, withheld = compare(want, got)
                if not wrong or time.monotonic() > deadline:
                    break
                await asyncio.sleep(1.0)
            out.append((quarter, want, got, wrong, withheld))
    return out
