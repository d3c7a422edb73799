"""No field of any event can hold a victim's personal data (journey.md section 2, "Never on Kafka").

Two guards: no field is *named* like personal data, and no string is free text (every string
is an enum, a pattern-bound code, a date/time, or one of a few bounded, justified fields). And a
poison record's error never echoes what was submitted.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from pydantic import BaseModel
from wja_schemas import (
    EVENT_TYPES,
    PoisonEventError,
    UnknownEventTypeError,
    from_record,
    new_envelope,
    to_record,
)
from wja_schemas.examples import example, full_example
from wja_schemas.types import Suspect

PII = re.compile(
    r"(^|_)(name|names|dob|date_of_birth|birth|address|postcode|post_code|phone|telephone|mobile|email|"
    r"safe_contact|contact_details|refuge|new_name|note|notes|minutes|free_text|text|comment|comments|"
    r"description|narrative|statement_text|location)($|_)"
)
SUSPECT_ALLOWED = {"name", "date_of_birth", "pnc_id"}
"""The suspect fields journey.md allows on the bus (never an address: it is often the victim's)."""

BOUNDED_STRINGS = {
    "suspect.name": "the suspect's name is allowed on the bus (journey.md section 2); 200 characters",
    "suspect.pnc_id": "a Police National Computer id (e.g. 26/123456A); 20 characters",
    "charges[].statute": "a statutory reference derived from the offence code (e.g. OAPA 1861 s47); 80 characters",
    "hearing_id": "opaque id minted by court (a UUID); 64 characters",
    "session_id": "opaque id minted by court; 64 characters",
    "request_id": "opaque id minted by support; 64 characters",
    "review_id": "opaque id minted by charging; 64 characters",
    "idva_id": "the IDVA's roster id (their token's sub), not a name; 64 characters",
    "about[]": "ce_ids of other events (UUIDs); 64 characters",
}
"""Strings with no enum, pattern or format: each is bounded and is an identifier or a legal reference."""


def model_fields(model: type[BaseModel], path: str = "") -> Iterator[tuple[str, str, type[BaseModel]]]:
    """Every field of ``model`` and of the models nested in it: (path, name, owning model)."""
    for name, info in model.model_fields.items():
        yield f"{path}{name}", name, model
        pending = [info.annotation]
        while pending:
            annotation = pending.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                yield from model_fields(annotation, f"{path}{name}.")
            pending.extend(typing.get_args(annotation))


def schema_strings(schema: dict) -> Iterator[tuple[str, dict]]:
    """Every string-typed node of a JSON Schema with its property path (``$ref`` followed)."""

    def walk(node: dict, path: str) -> Iterator[tuple[str, dict]]:
        if "$ref" in node:
            yield from walk(schema["$defs"][node["$ref"].split("/")[-1]], path)
        if node.get("type") == "string":
            yield path, node
        for key, sub in node.get("properties", {}).items():
            yield from walk(sub, f"{path}.{key}" if path else key)
        for sub in node.get("anyOf", []) + node.get("oneOf", []):
            yield from walk(sub, path)
        if "items" in node:
            yield from walk(node["items"], f"{path}[]")

    yield from walk(schema, "")


def schema_property_names(schema: dict) -> Iterator[str]:
    """Every property name in a JSON Schema, ``$defs`` included (what actually goes on the wire)."""
    for node in [schema, *schema.get("$defs", {}).values()]:
        yield from node.get("properties", {})


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_no_field_is_named_like_personal_data(ce_type):
    for full, name, owner in model_fields(EVENT_TYPES[ce_type]):
        if owner is Suspect and name in SUSPECT_ALLOWED:
            continue
        assert not PII.search(name), f"{ce_type}: {full} looks like personal data"
    schema = EVENT_TYPES[ce_type].json_schema()
    wire_names = set(schema_property_names(schema)) - SUSPECT_ALLOWED
    assert not [n for n in wire_names if PII.search(n)], f"{ce_type}: an alias looks like personal data"


def test_the_pii_pattern_catches_what_it_should():
    for name in ("name", "victim_name", "date_of_birth", "dob", "address", "home_address", "postcode", "phone",
                 "telephone", "mobile", "email", "safe_contact", "refuge", "new_name", "note", "notes", "minutes",
                 "free_text", "comment", "description"):  # fmt: skip
        assert PII.search(name), name
    for name in ("urn", "hearing_id", "reason_code", "outcome_code", "told_by", "conditions", "session_id"):
        assert not PII.search(name), name


def test_the_suspect_model_carries_no_address():
    assert set(Suspect.model_fields) == SUSPECT_ALLOWED


def time_paths(model: type[BaseModel]) -> set[str]:
    """Paths of the fields typed as times or dates in Python (UtcDatetime serialises to a plain string)."""
    paths = set()
    for full, name, owner in model_fields(model):
        pending = [owner.model_fields[name].annotation]
        while pending:
            annotation = pending.pop()
            if annotation in (datetime, date):
                paths |= {full, f"{full}[]"}
            pending.extend(typing.get_args(annotation))
    return paths


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_no_free_text_field(ce_type):
    """Every string is an enum, a code (pattern), a date/time or a bounded, allowed field."""
    model = EVENT_TYPES[ce_type]
    times = time_paths(model)
    for path, node in schema_strings(model.json_schema()):
        if {"enum", "const", "pattern", "format"} & set(node) or path in times:
            continue
        assert path in BOUNDED_STRINGS, f"{ce_type}: {path} is free text (use a Literal or a Code)"
        assert "maxLength" in node, f"{ce_type}: {path} is unbounded"


def test_time_fields_are_utc_datetimes():
    """Times are RFC 3339 strings (UtcDatetime): never a naive local time."""
    for ce_type, model in EVENT_TYPES.items():
        payload = json.loads(full_example(ce_type).model_dump_json())
        for path in time_paths(model):
            value = payload.get(path.removesuffix("[]"))
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and "T" in item:
                    assert item.endswith("Z"), f"{ce_type}.{path}"
        assert all(name in time_paths(model) for name in model.model_fields if name.endswith("_at"))


SECRET = "Harriet Quill, 14 Larch Row, 07700 900123 " * 8  # longer than any bounded string


def record(ce_type="wja.intake.crime.reported.v1"):
    return to_record(new_envelope(example(ce_type)))


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_personal_data_in_any_string_field_is_refused_and_never_echoed(ce_type):
    key, value, headers = to_record(new_envelope(full_example(ce_type)))
    payload = json.loads(value)

    def secret_paths(node, path=()):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from secret_paths(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from secret_paths(v, (*path, i))
        elif isinstance(node, str) and path != ("urn",):
            yield path

    for path in list(secret_paths(payload)):
        bad = json.loads(value)
        target = bad
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = SECRET
        with pytest.raises(PoisonEventError) as err:
            from_record(key, json.dumps(bad).encode(), headers)
        assert "Harriet" not in err.value.reason and "Larch" not in err.value.reason and "07700" not in str(err.value)


def test_bad_json_is_poison_and_the_reason_does_not_echo_the_value():
    key, _, headers = record()
    with pytest.raises(PoisonEventError) as err:
        from_record(key, b'{"urn": "01YE0098726", "secret": Harriet', headers)
    assert "Harriet" not in err.value.reason and "Harriet" not in str(err.value)


@pytest.mark.parametrize("value", [None, b"", b"[1, 2]", b'"Harriet"', b"\xff\xfe"])
def test_an_empty_non_object_or_undecodable_value_is_poison(value):
    key, _, headers = record()
    with pytest.raises(PoisonEventError) as err:
        from_record(key, value, headers)
    assert "Harriet" not in err.value.reason


def test_schema_invalid_is_poison_naming_the_field_not_the_value():
    key, value, headers = record()
    bad = value.replace(b'"abh"', b'"Harriet Quill lives at 14 Larch Row"')
    with pytest.raises(PoisonEventError) as err:
        from_record(key, bad, headers)
    assert "offence_codes" in err.value.reason
    assert "Harriet" not in err.value.reason and "Larch" not in err.value.reason


def test_a_missing_required_field_is_poison():
    key, value, headers = record()
    data = json.loads(value)
    del data["victim_ref"]
    with pytest.raises(PoisonEventError, match="victim_ref"):
        from_record(key, json.dumps(data).encode(), headers)


def test_unknown_fields_are_ignored_not_kept():
    """Tolerant reader: an extra field does not make a record poison, and is not carried on."""
    key, value, headers = record()
    data = {**json.loads(value), "victim_address": "14 Larch Row"}
    envelope = from_record(key, json.dumps(data).encode(), headers)
    assert "Larch" not in envelope.payload.model_dump_json()


def test_unknown_type_is_skippable_not_poison():
    key, value, headers = record()
    headers = [(k, b"wja.intake.crime.reported.v9" if k == "ce_type" else v) for k, v in headers]
    with pytest.raises(UnknownEventTypeError) as err:
        from_record(key, value, headers)
    assert err.value.ce_type == "wja.intake.crime.reported.v9"
    assert not isinstance(err.value, PoisonEventError)


@pytest.mark.parametrize("header", ["ce_id", "ce_source", "ce_type", "ce_specversion"])
def test_missing_attributes_are_poison(header):
    key, value, headers = record()
    with pytest.raises(PoisonEventError, match=header):
        from_record(key, value, [h for h in headers if h[0] != header])


def test_a_subject_that_is_not_the_payload_urn_is_poison():
    key, value, headers = record()
    headers = [(k, b"02AB0000126" if k == "ce_subject" else v) for k, v in headers]
    with pytest.raises(PoisonEventError, match="ce_subject"):
        from_record(key, value, headers)
