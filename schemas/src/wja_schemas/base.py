"""The base class of every contract event and the registry of event types."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from wja_schemas.types import Urn

SCHEMA_ID_PREFIX = "urn:wja:schema:"
"""The JSON Schema ``$id`` of an event type is this prefix and its ``ce_type`` (journey.md section 2)."""


def schema_id(ce_type: str) -> str:
    """Return the ``$id`` of ``ce_type``'s schema, which is also its records' ``ce_dataschema``.

    CloudEvents 1.0 requires ``dataschema`` to be an absolute URI; ``urn:wja:schema:<ce_type>``
    is one, and names the committed file ``schemas/<producer>/<ce_type>.json`` without a host
    (docs/integrators.md shows how a consumer resolves it).
    """
    return SCHEMA_ID_PREFIX + ce_type


def schema_ce_type(dataschema: str) -> str | None:
    """Return the ``ce_type`` a ``ce_dataschema`` (or ``$id``) of this project names, or None."""
    if dataschema.startswith(SCHEMA_ID_PREFIX) and len(dataschema) > len(SCHEMA_ID_PREFIX):
        return dataschema[len(SCHEMA_ID_PREFIX) :]
    return None


class Event(BaseModel):
    """A fact one service publishes about one case.

    Subclasses set ``ce_type`` (the CloudEvents type; the JSON Schema ``$id`` and the
    ``ce_dataschema`` of its records are :func:`schema_id` of it) and ``producer``. Models are
    frozen and tolerant readers: unknown fields are ignored, so an additive change by the
    producer never breaks a consumer.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    ce_type: ClassVar[str]
    producer: ClassVar[str]

    urn: Urn

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """Return the JSON Schema of the Kafka value of this event type."""
        schema = cls.model_json_schema(mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": schema_id(cls.ce_type),
            **schema,
        }
        schema["additionalProperties"] = True
        return schema


E = TypeVar("E", bound=type[Event])

EVENT_TYPES: dict[str, type[Event]] = {}
"""Every registered event type: ``ce_type`` → model. Filled by :func:`register`."""


def register(cls: E) -> E:
    """Class decorator: add an event model to :data:`EVENT_TYPES`."""
    if cls.ce_type in EVENT_TYPES:
        msg = f"event type {cls.ce_type} registered twice"
        raise ValueError(msg)
    if not cls.ce_type.startswith(f"wja.{cls.producer}."):
        msg = f"{cls.ce_type} must start with wja.{cls.producer}."
        raise ValueError(msg)
    EVENT_TYPES[cls.ce_type] = cls
    return cls
