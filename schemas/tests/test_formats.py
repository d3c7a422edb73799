"""Every time field of every committed schema says ``format: date-time``, every date ``format: date``
(journey.md section 2), so a validator, a code generator or a reader knows what the string holds.

Which fields are times and dates comes from pydantic's own view of the models when it *reads* them
(its validation-mode schema knows a ``datetime`` even when our serializer writes it as text); the
committed files describe what producers *write*, and must say the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from wja_schemas import EVENT_TYPES, schema_id
from wja_schemas.snapshot import snapshot_path

Schema = dict[str, Any]


def formats(node: Schema, root: Schema, path: str = "$") -> Iterator[tuple[str, str]]:
    """Yield ``(path, format)`` for every formatted string in a schema, following ``$ref`` into ``$defs``."""
    if "$ref" in node:
        node = {**root["$defs"][node["$ref"].split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    if "format" in node:
        yield path, node["format"]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key, []):
            yield from formats(sub, root, path)
    if "items" in node:
        yield from formats(node["items"], root, f"{path}[]")
    for name, sub in node.get("properties", {}).items():
        yield from formats(sub, root, f"{path}.{name}")


def committed(ce_type: str) -> Schema:
    return json.loads(snapshot_path(ce_type).read_text())


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_every_time_and_date_field_states_its_format(ce_type):
    read = EVENT_TYPES[ce_type].model_json_schema(mode="validation")
    expected = {(p, f) for p, f in formats(read, read) if f in {"date-time", "date"}}
    schema = committed(ce_type)
    assert expected <= set(formats(schema, schema)), f"{ce_type}: run make schemas"


def test_the_check_sees_every_time_field():
    """The walk above finds the time fields it must (a walk that found none would pass anything)."""
    found = [(t, p) for t in EVENT_TYPES for p, f in formats(committed(t), committed(t)) if f == "date-time"]
    assert len(found) >= 35
    assert ("wja.charging.decision.made.v1", "$.decided_at") in found
    assert ("wja.court.restraining_order.made.v1", "$.until") not in found  # a date, not a time


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_every_schema_id_is_the_absolute_uri_of_its_type(ce_type):
    assert committed(ce_type)["$id"] == schema_id(ce_type) == f"urn:wja:schema:{ce_type}"
