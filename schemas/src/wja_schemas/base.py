"""The base class of every contract event and the registry of event types."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from wja_schemas.types import Urn


class Event(BaseModel):
    """A fact one service publishes about one case.

    Subclasses set ``ce_type`` (the CloudEvents type, also the JSON Schema ``$id``) and
    ``producer``. Models are frozen and tolerant readers: unknown fields are ignored, so an
    additive change by the producer never breaks a consumer.
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
            "$id": cls.ce_type,
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
