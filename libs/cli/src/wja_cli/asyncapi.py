"""`python -m wja_cli.asyncapi`: the AsyncAPI 3.0 document of the event bus (docs/asyncapi.json).

What the official parser (`@asyncapi/parser`, run by tests/conformance) needs, and why:

- Each payload's nested models (pydantic's ``$defs``) are hoisted into ``components/schemas`` and
  the references rewritten: the parser resolves ``#/...`` from the document's root, where a
  payload's own ``#/$defs/Charge`` does not exist.
- The parser has no schema format for JSON Schema 2020-12 (draft-07 is the newest it knows), so
  payloads are declared ``application/schema+json;version=draft-07``; :func:`payload` drops the
  2020-12-only keywords (``$schema``, ``$id``, ``$defs``) and :data:`NOT_DRAFT_07` lists the
  keywords a payload must not contain, so a model that grew one fails the generator instead of
  being silently misread. The committed 2020-12 files (``schemas/``) stay the contract: each
  message names its file's ``$id``.
- Headers are derived from :func:`~wja_schemas.envelope.to_record`: those it always writes are
  ``required``, the others described as optional.
"""

from __future__ import annotations

import json
from typing import Any

from wja_schemas import EVENT_TYPES, schema_id, topics
from wja_schemas.envelope import CONTENT_TYPE, SPEC_VERSION, new_envelope, to_record
from wja_schemas.examples import example

SCHEMA_FORMAT = "application/schema+json;version=draft-07"
"""The payloads' schema format: the newest JSON Schema draft the AsyncAPI 3.0 parser accepts."""

NOT_DRAFT_07 = frozenset(
    {
        "$defs",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "prefixItems",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedItems",
        "unevaluatedProperties",
        "minContains",
        "maxContains",
    }
)
"""JSON Schema keywords newer than draft-07: a draft-07 reader would ignore them without a word."""

HEADER_DESCRIPTIONS = {
    "ce_id": "CloudEvents id; with ce_source, the idempotency key.",
    "ce_source": "CloudEvents source: /wja/<producer>.",
    "ce_type": "CloudEvents type.",
    "ce_specversion": "CloudEvents spec version.",
    "ce_time": "When it happened: RFC 3339 in UTC, with a Z.",
    "ce_subject": "The case URN.",
    "ce_partitionkey": "The case URN (CloudEvents partitioning extension; also the Kafka key).",
    "ce_dataschema": "The $id of the committed JSON Schema (2020-12) of the value: schemas/<producer>/<ce_type>.json.",
    "ce_correlationid": "Extension: shared by everything one case's journey causes (default: the URN).",
    "ce_causationid": "Extension: the ce_id of the event or request that caused this one.",
    "content-type": "The value's media type (CloudEvents datacontenttype).",
    "traceparent": "W3C Trace Context: the producing span.",
    "tracestate": "W3C Trace Context: vendor trace state, when the producer has any.",
}
"""Every header a record may carry (journey.md section 2)."""

_DRAFT_07_DROPPED = ("$schema", "$id", "$defs")


def _headers_always_written() -> list[str]:
    """The headers :func:`to_record` writes on every record (a record with no cause and no trace)."""
    _, _, headers = to_record(new_envelope(example(next(iter(sorted(EVENT_TYPES))))))
    return [name for name, _ in headers]


def headers(ce_type: str, producer: str, required: list[str]) -> dict[str, Any]:
    """The headers schema of one message type."""
    fixed: dict[str, Any] = {
        "ce_type": {"const": ce_type},
        "ce_specversion": {"const": SPEC_VERSION},
        "ce_source": {"const": f"/wja/{producer}"},
        "ce_dataschema": {"const": schema_id(ce_type), "format": "uri"},
        "content-type": {"const": CONTENT_TYPE},
        "ce_time": {"format": "date-time"},
    }
    properties = {
        name: {"type": "string", "description": description, **fixed.get(name, {})}
        for name, description in HEADER_DESCRIPTIONS.items()
    }
    missing = set(required) - set(properties)
    if missing:
        msg = f"to_record writes headers the document does not describe: {sorted(missing)}"
        raise ValueError(msg)
    return {"type": "object", "required": required, "properties": properties}


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else _rewrite_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _keywords(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = set(node)
        for key, value in node.items():
            if key not in {"properties", "examples", "enum", "const", "default"}:
                found |= _keywords(value)
            elif key == "properties":
                found |= {k for sub in value.values() for k in _keywords(sub)}
        return found
    if isinstance(node, list):
        return {k for v in node for k in _keywords(v)}
    return set()


def payload(schema: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    """A draft-07 payload schema from a committed 2020-12 one; its ``$defs`` go into ``shared``.

    Raises:
        ValueError: two models share a name with different schemas, or a keyword newer than
            draft-07 is left (the document would misdescribe the payload).
    """
    hoisted = {name: _rewrite_refs(definition) for name, definition in schema.get("$defs", {}).items()}
    for name, definition in hoisted.items():
        if shared.setdefault(name, definition) != definition:
            msg = f"two nested models named {name} differ; give one another name"
            raise ValueError(msg)
    body = _rewrite_refs({k: v for k, v in schema.items() if k not in _DRAFT_07_DROPPED})
    newer = _keywords([body, *hoisted.values()]) & NOT_DRAFT_07
    if newer:
        msg = f"{schema.get('$id')}: keywords newer than draft-07 in an AsyncAPI payload: {sorted(newer)}"
        raise ValueError(msg)
    return body


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document: one channel per producer's topic, one message per event type."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    required = _headers_always_written()
    for producer in topics.PRODUCERS:
        topic = topics.case_topic(producer)
        names = []
        for ce_type, model in sorted(EVENT_TYPES.items()):
            if model.producer != producer:
                continue
            name = ce_type.replace(".", "_")
            names.append(name)
            messages[name] = {
                "name": ce_type,
                "title": model.__name__,
                "summary": (model.__doc__ or "").strip().split("\n")[0],
                "description": f"Value: JSON Schema 2020-12 `{schema_id(ce_type)}`, committed as "
                f"`schemas/{producer}/{ce_type}.json` (the payload below is its draft-07 rendering).",
                "contentType": CONTENT_TYPE,
                "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": payload(model.json_schema(), shared)},
                "bindings": {
                    "kafka": {"key": {"type": "string", "description": "the case URN"}, "bindingVersion": "0.5.0"}
                },
                "headers": headers(ce_type, producer, required),
            }
        channels[producer] = {"address": topic, "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names}}
        operations[f"{producer}_publishes"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{producer}"},
            "messages": [{"$ref": f"#/channels/{producer}/messages/{n}"} for n in names],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Whole Justice case events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 in Kafka binary mode; key = URN. See docs/integrators.md.",
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": shared},
    }


if __name__ == "__main__":
    print(json.dumps(document(), indent=2, sort_keys=True))
