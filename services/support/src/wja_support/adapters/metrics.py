"""Support's own Prometheus metrics: the Victims' Code obligations (what victims must still be told).

Refreshed in the background from the entries table (every ``SUPPORT_METRICS_REFRESH_SECONDS``),
by duty holder: police, cps, wcu (the Witness Care Unit).
"""

from __future__ import annotations

from prometheus_client import Gauge

OBLIGATIONS_DUE = Gauge(
    "wja_obligations_due", "Victims' Code notices not yet given to the victim (due or overdue)", ["duty_holder"]
)
OBLIGATIONS_OVERDUE = Gauge(
    "wja_obligations_overdue", "Victims' Code notices not given by their deadline", ["duty_holder"]
)


def record(counts: dict[str, tuple[int, int]], duty_holders: set[str]) -> None:
    """Set both gauges from ``{duty_holder: (due, overdue)}``; every known duty holder gets a value (0 if none)."""
    for holder in sorted(duty_holders | set(counts)):
        due, overdue = counts.get(holder, (0, 0))
        OBLIGATIONS_DUE.labels(holder).set(due)
        OBLIGATIONS_OVERDUE.labels(holder).set(overdue)
