"""Prometheus metrics shared by the plumbing (exposed on each service's ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_PUBLISHED = Counter("wja_outbox_published_total", "Outbox rows published", ["service"])
RELAY_ERRORS = Counter("wja_relay_errors_total", "Outbox relay interruptions", ["service"])
EVENTS_APPLIED = Counter("wja_events_applied_total", "Events applied", ["service", "ce_type"])
EVENTS_DUPLICATE = Counter("wja_events_duplicate_total", "Redelivered events absorbed", ["service"])
EVENTS_UNKNOWN = Counter("wja_events_unknown_type_total", "Events of unknown type skipped", ["service"])
EVENTS_PARKED = Counter("wja_events_parked_total", "Events parked to wait", ["service"])
EVENTS_DEAD = Counter("wja_events_dead_lettered_total", "Events dead-lettered", ["service", "kind"])
DLQ_DEPTH = Gauge("wja_dlq_depth", "Open dead letters", ["service"])
PARKED_DEPTH = Gauge("wja_parked_depth", "Events waiting in the parking table", ["service"])
OUTBOX_BACKLOG = Gauge("wja_outbox_backlog", "Outbox rows not yet published", ["service"])
APPLY_SECONDS = Histogram("wja_apply_batch_seconds", "Time to apply one batch", ["service"])
