"""`python -m wja_cli.asyncapi`: the AsyncAPI 3.0 document of the event bus (docs/asyncapi.json)."""

from __future__ import annotations

import json
from typing import Any

from wja_schemas import EVENT_TYPES, topics
from wja_schemas.envelope import SPEC_VERSION


def document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
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
                "contentType": "application/json",
                "payload": model.json_schema(),
                "bindings": {"kafka": {"key": {"type": "string", "description": "the case URN"}}},
                "headers": {
                    "type": "object",
                    "properties": {
                        "ce_type": {"const": ce_type},
                        "ce_specversion": {"const": SPEC_VERSION},
                        "ce_source": {"const": f"/wja/{producer}"},
                        "ce_id": {"type": "string"},
                        "ce_time": {"type": "string", "format": "date-time"},
                        "ce_subject": {"type": "string"},
                        "ce_partitionkey": {"type": "string"},
                        "ce_dataschema": {"const": ce_type},
                        "ce_correlationid": {"type": "string"},
                        "ce_causationid": {"type": "string"},
                        "traceparent": {"type": "string"},
                    },
                },
            }
        channels[producer] = {"address": topic, "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names}}
        operations[f"{producer}_publishes"] = {"action": "send", "channel": {"$ref": f"#/channels/{producer}"}}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Whole Justice case events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 in Kafka binary mode; key = URN. See docs/integrators.md.",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


if __name__ == "__main__":
    print(json.dumps(document(), indent=2, sort_keys=True))
