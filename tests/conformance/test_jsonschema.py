"""Every committed schema is valid JSON Schema 2020-12 to check-jsonschema, and validates time formats."""

from __future__ import annotations

import json

import jsonschema
import pytest
from wja_schemas import EVENT_TYPES
from wja_schemas.examples import example

from .validators import SCHEMAS, check_jsonschema, committed_by_id

FILES = sorted(SCHEMAS.glob("*/wja.*.json"))


def test_check_jsonschema_accepts_every_committed_schema_against_its_metaschema():
    assert len(FILES) == len(EVENT_TYPES)
    run = check_jsonschema("--check-metaschema", *map(str, FILES))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok -- validation done" in run.stdout


def test_check_jsonschema_does_refuse_a_schema_that_breaks_the_metaschema(tmp_path):
    broken = json.loads(FILES[0].read_text())
    broken["properties"]["urn"]["type"] = 5
    path = tmp_path / "wja.broken.v1.json"
    path.write_text(json.dumps(broken))
    run = check_jsonschema("--check-metaschema", str(path))
    assert run.returncode != 0, run.stdout


def test_every_committed_schema_is_2020_12_and_named_by_its_absolute_id():
    by_id = committed_by_id()
    assert len(by_id) == len(FILES)  # no two files share an $id
    for schema_id, path in by_id.items():
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema_id == f"urn:wja:schema:{path.stem}"


@pytest.mark.parametrize("field", ["not a time", "2026-09-14", "2026-09-14 10:30"])
def test_a_time_that_is_not_rfc_3339_fails_the_committed_schema_with_format_checking(field):
    schema = committed_by_id()["urn:wja:schema:wja.court.sentence.imposed.v1"]
    schema = json.loads(schema.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    good = json.loads(example("wja.court.sentence.imposed.v1").model_dump_json())
    validator.validate(good)
    with pytest.raises(jsonschema.ValidationError, match="date-time"):
        validator.validate({**good, "imposed_at": field})
