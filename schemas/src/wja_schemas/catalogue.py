"""``python -m wja_schemas.catalogue``: the event catalogue (``docs/events.md``) from the models.

Per producer: its topic and key, a table of its event types (when each is emitted and who
consumes it, both read from the class docstrings), then each type's fields with their types,
whether they are required, and their descriptions. Nested types (``Suspect``, ``Charge``) follow.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

from wja_schemas import EVENT_TYPES, topics
from wja_schemas.base import Event

HEADER = """# Event catalogue

Generated from the models in `schemas/` by `make schemas` (`python -m wja_schemas.catalogue`);
do not edit by hand. Every record is a CloudEvent in Kafka binary mode: the value is exactly
the payload JSON described below, the attributes are `ce_*` headers (`ce_source` is
`/wja/<producer>`, `ce_dataschema` the schema's `$id`, `urn:wja:schema:<ce_type>`), the key is
the case URN. JSON Schemas (2020-12): `schemas/<producer>/<ce_type>.json`, open to additional
properties; docs/integrators.md shows how to resolve a `ce_dataschema` to its file.
Evolution is additive; a breaking change is a new `.v2` type published alongside. No event
carries a victim's personal data: the victim is a pseudonymous `victim_ref`, conditions and
reasons are codes.
"""


def _paragraphs(model: type[Event]) -> list[str]:
    doc = inspect.cleandoc(model.__doc__ or "")
    return [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]


def when_emitted(model: type[Event]) -> str:
    """Return the first paragraph of an event's docstring: when it is emitted."""
    paragraphs = _paragraphs(model)
    return paragraphs[0] if paragraphs else ""


def consumers_text(model: type[Event]) -> str:
    """Return the ``Consumers: ...`` list of an event's docstring (without the trailing period)."""
    for paragraph in _paragraphs(model):
        if "Consumers:" in paragraph:
            return paragraph.split("Consumers:", 1)[1].strip().removesuffix(".")
    return ""


def consumers_of(model: type[Event]) -> list[str]:
    """Return the names of the services its docstring says consume an event, in order.

    Commas inside parentheses (the reasons) do not split the list.
    """
    names, depth, item = [], 0, ""
    for char in consumers_text(model) + ",":
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            names.append(item.strip().split(" ")[0])
            item = ""
        else:
            item += char
    return [n for n in names if n]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9 _-]", "", text.lower()).replace(" ", "-")


def _limits(prop: dict[str, Any]) -> str:
    parts = []
    for key, sign in (("minLength", "≥"), ("maxLength", "≤"), ("minimum", "≥"), ("maximum", "≤")):
        if key in prop:
            parts.append(f"{sign} {prop[key]}")
    if "minItems" in prop:
        parts.append(f"at least {prop['minItems']}")
    if "pattern" in prop:
        parts.append(f"`{prop['pattern']}`")
    return f" ({', '.join(parts)})" if parts else ""


def type_of(prop: dict[str, Any]) -> str:
    """Return a short markdown rendering of a property's JSON Schema type."""
    if "$ref" in prop:
        name = prop["$ref"].split("/")[-1]
        return f"[{name}](#{_anchor(name)})"
    if "anyOf" in prop:
        parts = [type_of(p) for p in prop["anyOf"]]
        return " or ".join(p for p in parts if p != "null") + (" or null" if "null" in parts else "")
    if "enum" in prop:
        return " | ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if prop.get("type") == "array":
        return f"list of {type_of(prop.get('items', {}))}{_limits(prop)}"
    return str(prop.get("format", prop.get("type", "any"))) + _limits(prop)


def _fields_table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        if name in required:
            need = "yes"
        else:
            need = f"no (default `{json.dumps(prop['default'])}`)" if "default" in prop else "no"
        lines.append(f"| `{name}` | {_cell(type_of(prop))} | {_cell(need)} | {_cell(prop.get('description', ''))} |")
    return lines


def _producer_section(producer: str, models: list[type[Event]]) -> list[str]:
    lines = [
        f"## {producer}",
        "",
        f"Topic `{topics.case_topic(producer)}` (written by {producer} only); key: the case URN; "
        f"`ce_source` `/wja/{producer}`.",
        "",
        "| event type | emitted when | consumers |",
        "|---|---|---|",
    ]
    for model in models:
        link = f"[`{model.ce_type}`](#{_anchor(model.ce_type)})"
        when = when_emitted(model).removeprefix("Emitted when ")
        lines.append(f"| {link} | {_cell(when)} | {_cell(consumers_text(model))} |")
    lines.append("")
    for model in models:
        schema = model.json_schema()
        lines += [f"### {model.ce_type}", "", f"`{model.__name__}`. " + "\n\n".join(_paragraphs(model)), ""]
        lines += [*_fields_table(schema), ""]
    return lines


def render() -> str:
    """Return the markdown catalogue of every registered event type."""
    lines = [*HEADER.splitlines(), ""]
    nested: dict[str, dict[str, Any]] = {}
    for producer in topics.PRODUCERS:
        models = [m for m in EVENT_TYPES.values() if m.producer == producer]  # journey order
        lines += _producer_section(producer, models)
        for model in models:
            nested.update(model.json_schema().get("$defs", {}))
    lines += ["## Nested types", ""]
    for name, schema in sorted(nested.items()):
        lines += [f"### {name}", "", " ".join(schema.get("description", "").split()), ""]
        lines += [*_fields_table(schema), ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
