"""Whole Justice event contracts.

One module per producer (:mod:`intake`, :mod:`charging`, :mod:`court`, :mod:`support`);
every event type is registered in :data:`EVENT_TYPES`. :mod:`envelope` maps an event to a
CloudEvents binary-mode Kafka record and back.
"""

from wja_schemas import charging, court, intake, support  # noqa: F401  (registers the event types)
from wja_schemas.base import EVENT_TYPES, Event, schema_ce_type, schema_id
from wja_schemas.envelope import (
    Envelope,
    PoisonEventError,
    UnknownEventTypeError,
    from_record,
    new_envelope,
    to_record,
)

__all__ = [
    "EVENT_TYPES",
    "Envelope",
    "Event",
    "PoisonEventError",
    "UnknownEventTypeError",
    "from_record",
    "new_envelope",
    "schema_ce_type",
    "schema_id",
    "to_record",
]
