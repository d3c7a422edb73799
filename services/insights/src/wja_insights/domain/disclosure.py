"""Statistical disclosure control of the measures: small counts and what could reveal them.

Primary suppression: a count of 1 to 4 (under ``SUPPRESS_BELOW``) is not published, at force
level or nationally. Zero is published: it is not a small count of people (ONS/GSS practice).
Secondary suppression: where figures add up (prosecutions completed = convictions +
unsuccessful; unsuccessful = its reasons; told = within the deadline + late; the national
figure = the forces' figures), a relation with exactly one hidden figure would give it away by
subtraction, so another of its figures is hidden too (the national figure if it is in the
relation, else the smallest non-zero one), until no relation has exactly one. Figures never
published but derivable (late notifications, the victim-issue and other unsuccessful outcomes,
the facts of no known force) take part as cells: hidden if small, never chosen for secondary
suppression. A rate, mean or median is withheld when a count it is computed from is hidden.
"""

from __future__ import annotations

import copy
from typing import Any

SUPPRESS_BELOW = 5
VICTIM_ISSUES = ("victim_retraction", "victim_non_attendance", "evidence_does_not_support")
COUNTS = (
    "reports",
    "arrests",
    "referrals_to_cps",
    "charged",
    "no_further_action",
    "out_of_court_disposal",
    "administratively_finalised",
    "prosecutions_completed",
    "convictions",
    "unsuccessful",
    "restraining_orders",
)
KEYED = ("unsuccessful_by_reason", "closures_by_outcome_code")
NESTED = ("notifications.told", "notifications.within_deadline", "days_request_to_decision.cases")
VIRTUAL = ("notifications.late", "victim_issue", "other_unsuccessful")
UNPUBLISHED_SCOPE = "?"
"""Facts whose force is not known yet: part of the national figures, never published alone."""

Cell = tuple[str, str]  # (scope, name); scope "" is national


def small(value: int) -> bool:
    return 0 < value < SUPPRESS_BELOW


def cells(result: dict[str, Any], keys: dict[str, set[str]]) -> dict[str, int]:
    """The counts of one summary by name (``unsuccessful_by_reason.acquitted``), virtual ones included."""
    out = {name: result[name] for name in COUNTS}
    for group in KEYED:
        out.update({f"{group}.{k}": result[group].get(k, 0) for k in keys[group]})
    for name in NESTED:
        group, field = name.split(".")
        out[name] = result[group][field]
    out["notifications.late"] = out["notifications.told"] - out["notifications.within_deadline"]
    by_reason = result["unsuccessful_by_reason"]
    out["victim_issue"] = sum(by_reason.get(r, 0) for r in VICTIM_ISSUES)
    out["other_unsuccessful"] = result["unsuccessful"] - out["victim_issue"]
    return out


def relations(keys: dict[str, set[str]]) -> list[tuple[str, list[str]]]:
    """Within one summary: (total, parts) that add up."""
    reasons = sorted(keys["unsuccessful_by_reason"])
    return [
        ("prosecutions_completed", ["convictions", "unsuccessful"]),
        ("unsuccessful", [f"unsuccessful_by_reason.{r}" for r in reasons]),
        ("unsuccessful", ["victim_issue", "other_unsuccessful"]),
        ("victim_issue", [f"unsuccessful_by_reason.{r}" for r in reasons if r in VICTIM_ISSUES]),
        ("other_unsuccessful", [f"unsuccessful_by_reason.{r}" for r in reasons if r not in VICTIM_ISSUES]),
        ("notifications.told", ["notifications.within_deadline", "notifications.late"]),
    ]


def protect(national: dict[str, Any], forces: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Suppress the national summary and every force's consistently; return them (copies).

    ``forces`` may hold :data:`UNPUBLISHED_SCOPE` (facts of no known force): it counts towards
    the national figures and is treated as never published.
    """
    scopes = {"": national, **forces}
    keys = {g: set().union(*(s[g] for s in scopes.values())) for g in KEYED}
    values: dict[Cell, int] = {(sc, n): v for sc, s in scopes.items() for n, v in cells(s, keys).items()}
    groups = [[(sc, t), *((sc, p) for p in ps)] for sc in scopes for t, ps in relations(keys) if ps]
    groups += [[("", n), *((sc, n) for sc in sorted(forces))] for n in sorted({n for _, n in values})]
    hidden = {c for c, v in values.items() if small(v)}

    def choosable(c: Cell) -> bool:
        return c[0] != UNPUBLISHED_SCOPE and c[1] not in VIRTUAL and c not in hidden

    def order(c: Cell) -> tuple[bool, bool, int, Cell]:
        # The national figure first (a force's figures then depend on its own cases only), then
        # the smallest non-zero figure.
        return (c[0] != "", values[c] == 0, values[c], c)

    changed = True
    while changed:
        changed = False
        for group in groups:
            if sum(c in hidden for c in group) != 1:
                continue
            spare = sorted((c for c in group if choosable(c)), key=order)
            if spare:
                hidden.add(spare[0])
                changed = True
    return _apply(national, "", hidden), {f: _apply(s, f, hidden) for f, s in forces.items()}


def _apply(result: dict[str, Any], scope: str, hidden: set[Cell]) -> dict[str, Any]:
    out = copy.deepcopy(result)

    def gone(name: str) -> bool:
        return (scope, name) in hidden

    for name in COUNTS:
        if gone(name):
            out[name] = None
    for group in KEYED:
        for k in {n.split(".", 1)[1] for s, n in hidden if s == scope and n.startswith(f"{group}.")}:
            out[group][k] = None
    notes = out["notifications"]
    for field in ("told", "within_deadline"):
        if gone(f"notifications.{field}"):
            notes[field] = None
    if any(gone(n) for n in ("notifications.told", "notifications.within_deadline", "notifications.late")):
        notes["share_within_deadline"] = None
    days = out["days_request_to_decision"]
    if gone("days_request_to_decision.cases"):
        out["days_request_to_decision"] = {k: None for k in days}
    if gone("arrests") or gone("reports"):
        out["arrests_per_100_crimes"] = None
    if any(gone(n) for n in ("charged", "no_further_action", "out_of_court_disposal")):
        out["charge_rate"] = None
    if any(gone(n) for n in ("convictions", "prosecutions_completed", "unsuccessful")):
        out["conviction_rate"] = None
    if any(gone(n) for n in ("unsuccessful", "victim_issue", "other_unsuccessful")):
        out["victim_issue_share"] = None
    out["suppressed_below"] = SUPPRESS_BELOW
    return out
