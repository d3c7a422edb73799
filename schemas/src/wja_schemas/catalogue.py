"""``python -m wja_schemas.catalogue``: the event catalogue (docs/events.md) from the models."""

from __future__ import annotations

import inspect
from typing import Any

from wja_schemas import EVENT_TYPES, topics


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].split("/")[-1]
    if "anyOf" in prop:
        parts = [_type_of(p, defs) for p in prop["anyOf"]]
        return " \\| ".join(p for p in parts if p != "null") + (" \\| null" if "null" in parts else "")
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}), defs)}"
    return str(prop.get("format", prop.get("type", "any")))


def render() -> str:
    """The markdown catalogue."""
    lines = [
        "# Event catalogue",
        "",
        "Generated from `schemas/` by `make schemas`; do not edit by hand. Every record is a CloudEvent",
        "in Kafka binary mode: the value is the payload JSON below, the attributes are `ce_*` headers,",
        "the key is the case URN. JSON Schemas: `schemas/<producer>/<ce_type>.json`.",
        "",
    ]
    for producer in topics.PRODUCERS:
        lines += [f"## {producer}", "", f"Topic `{topics.case_topic(producer)}`, key: URN.", ""]
        for ce_type, model in sorted(EVENT_TYPES.items()):
            if model.producer != producer:
                continue
            schema = model.json_schema()
            required = set(schema.get("required", []))
            lines += [
                f"### `{ce_type}`",
                "",
                inspect.cleandoc(model.__doc__ or ""),
                "",
                "| field | type | required |",
                "|---|---|---|",
            ]
            for name, prop in schema.get("properties", {}).items():
                lines.append(
                    f"| `{name}` | {_type_of(prop, schema.get('$defs', {}))} | {'yes' if name in required else ''} |"
                )
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())  # noqa: T201
