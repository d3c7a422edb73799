"""No field of any event can hold a victim's personal data (journey.md section 2, "Never on Kafka")."""

from __future__ import annotations

import re
import typing

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
from wja_schemas.examples import example
from wja_schemas.types import Suspect

PII = re.compile(
    r"(^|_)(name|dob|date_of_birth|birth|address|postcode|phone|telephone|mobile|email|safe_contact|refuge|"
    r"new_name|notes?|minutes|free_text|comment|description|narrative|statement_text)($|_)"
)
SUSPECT_ALLOWED = {"name", "date_of_birth", "pnc_id"}
"""The suspect fields journey.md allows on the bus."""


def fields(model: type[BaseModel], path: str = ""):
    for name, info in model.model_fields.items():
        yield f"{path}{name}", name, info, model
        for arg in typing.get_args(info.annotation) or (info.annotation,):
            for inner in typing.get_args(arg) or (arg,):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    yield from fields(inner, f"{path}{name}.")


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_no_field_is_named_like_personal_data(ce_type):
    for full, name, _, owner in fields(EVENT_TYPES[ce_type]):
        if owner is Suspect and name in SUSPECT_ALLOWED:
            continue
        assert not PII.search(name), f"{ce_type}: {full} looks like personal data"


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_no_free_text_field(ce_type):
    """Every string is a code (Literal/pattern), a reference or bounded; Suspect.name is the one exception."""
    schema = EVENT_TYPES[ce_type].json_schema()

    def walk(node, path):
        if isinstance(node, dict):
            if "$ref" in node:
                walk(schema["$defs"][node["$ref"].split("/")[-1]], path)
            bounded = {"enum", "const", "pattern", "format", "maxLength"} & set(node)
            exempt = path in ("suspect.name", "charges[].statute") or path.removesuffix("[]").endswith(("_at", "_by"))
            if node.get("type") == "string" and not bounded and not exempt:
                pytest.fail(f"{ce_type}: {path} is unbounded free text")
            for key, sub in node.get("properties", {}).items():
                walk(sub, f"{path}.{key}" if path else key)
            for sub in node.get("anyOf", []):
                walk(sub, path)
            if "items" in node:
                walk(node["items"], f"{path}[]")

    walk(schema, "")


def test_the_suspect_model_carries_no_address():
    assert set(Suspect.model_fields) == SUSPECT_ALLOWED


def record(ce_type="wja.intake.crime.reported.v1"):
    return to_record(new_envelope(example(ce_type)))


def test_bad_json_is_poison_and_the_reason_does_not_echo_the_value():
    key, _, headers = record()
    with pytest.raises(PoisonEventError) as err:
        from_record(key, b'{"urn": "01YE0098726", "secret": Harriet', headers)
    assert "Harriet" not in err.value.reason


def test_schema_invalid_is_poison_naming_the_field_not_the_value():
    key, value, headers = record()
    bad = value.replace(b'"abh"', b'"Harriet Quill lives at 14 Larch Row"')
    with pytest.raises(PoisonEventError) as err:
        from_record(key, bad, headers)
    assert "offence_codes" in err.value.reason
    assert "Harriet" not in err.value.reason and "Larch" not in err.value.reason


def test_unknown_type_is_skippable_not_poison():
    key, value, headers = record()
    headers = [(k, b"wja.intake.crime.reported.v9" if k == "ce_type" else v) for k, v in headers]
    with pytest.raises(UnknownEventTypeError):
        from_record(key, value, headers)


def test_missing_attributes_are_poison():
    key, value, headers = record()
    with pytest.raises(PoisonEventError):
        from_record(key, value, [h for h in headers if h[0] != "ce_id"])
