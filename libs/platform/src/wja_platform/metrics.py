"""Prometheus metrics shared by the plumbing (exposed on each service's ``/metrics``).

Counters count what this process did. The gauges below the line are states read from the
service's database and the broker by :mod:`wja_platform.opsmetrics` in the background (every
``<SVC>_METRICS_REFRESH_SECONDS``), so they are right whether or not anyone calls ``/readyz``.
Names follow Prometheus' conventions: ``wja_`` prefix, ``_total`` counters, base units.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DEAD_LETTER_KINDS = ("poison", "failed", "parked")
"""Why a record was dead-lettered: undecodable, its handler kept failing, or parked past the timeout."""

OUTBOX_PUBLISHED = Counter("wja_outbox_published_total", "Outbox rows published", ["service"])
RELAY_ERRORS = Counter("wja_relay_errors_total", "Outbox relay interruptions", ["service"])
EVENTS_APPLIED = Counter("wja_events_applied_total", "Events applied", ["service", "ce_type"])
EVENTS_DUPLICATE = Counter("wja_events_duplicate_total", "Redelivered events absorbed", ["service"])
EVENTS_UNKNOWN = Counter("wja_events_unknown_type_total", "Events of unknown type skipped", ["service"])
EVENTS_IGNORED = Counter(
    "wja_events_ignored_total", "Events of a type the service has no use for, not applied", ["service", "ce_type"]
)
EVENTS_PARKED = Counter("wja_events_parked_total", "Events parked to wait", ["service"])
EVENTS_DEAD = Counter("wja_events_dead_lettered_total", "Events dead-lettered", ["service", "kind"])
CONSUMER_RESTARTS = Counter(
    "wja_consumer_restarts_total",
    "Consumers restarted because the broker kept a stale partition assignment (wja_platform.assignment)",
    ["service"],
)
APPLY_SECONDS = Histogram("wja_apply_batch_seconds", "Time to apply one batch", ["service"])

# --- states, refreshed in the background (wja_platform.opsmetrics) ---------------------------
DLQ_DEPTH = Gauge("wja_dlq_depth", "Open dead letters", ["service"])
DEAD_LETTERS_OPEN = Gauge("wja_dead_letters_open", "Open dead letters by kind", ["service", "kind"])
PARKED_DEPTH = Gauge("wja_parked_depth", "Events waiting in the parking table", ["service"])
OUTBOX_BACKLOG = Gauge("wja_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "wja_outbox_oldest_unpublished_age_seconds", "Age of the oldest unpublished outbox row (0: none)", ["service"]
)
CONSUMER_LAG = Gauge(
    "wja_consumer_lag_records",
    "Records on a partition not yet committed by the consumer group",
    ["service", "group", "topic", "partition"],
)
SERVICE_READY = Gauge("wja_service_ready", "1 when every readiness check passes (as /readyz)", ["service"])
READY_CHECK = Gauge("wja_ready_check", "1 when this readiness check passes", ["service", "check"])
REFRESH_ERRORS = Counter(
    "wja_metrics_refresh_errors_total", "Background refreshes of these gauges that failed", ["service", "part"]
)
REFRESHED_AT = Gauge(
    "wja_metrics_refreshed_timestamp_seconds", "When these gauges were last refreshed (Unix time)", ["service"]
)


def init_service(service: str) -> None:
    """Create every label set of a service up front, so a first event is an increase from 0."""
    for kind in DEAD_LETTER_KINDS:
        EVENTS_DEAD.labels(service, kind)
        DEAD_LETTERS_OPEN.labels(service, kind)
    for metric in (OUTBOX_PUBLISHED, RELAY_ERRORS, EVENTS_DUPLICATE, EVENTS_UNKNOWN, EVENTS_PARKED, CONSUMER_RESTARTS):
        metric.labels(service)
