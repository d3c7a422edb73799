"""The committed schemas are the contract: changes must be additive, and the check really bites."""

from __future__ import annotations

import copy
import json

from wja_schemas.snapshot import check, current, incompatibilities, snapshot_path


def committed(ce_type: str) -> dict:
    return json.loads(snapshot_path(ce_type).read_text())


def test_the_code_is_compatible_with_every_committed_schema():
    assert check() == []


def test_the_code_matches_the_committed_files_exactly():
    for ce_type, schema in current().items():
        assert committed(ce_type) == json.loads(json.dumps(schema)), f"{ce_type}: run make schemas"


OLD = committed("wja.court.sentence.imposed.v1")


def changed(edit) -> list[str]:
    new = copy.deepcopy(OLD)
    edit(new)
    return incompatibilities(OLD, new)


def test_removing_a_field_is_breaking():
    assert changed(lambda s: s["properties"].pop("custody_months"))


def test_changing_a_type_is_breaking():
    assert changed(lambda s: s["properties"]["imposed_at"].update({"type": "integer"}))


def test_a_new_required_field_is_breaking():
    def edit(s):
        s["properties"]["judge"] = {"type": "string"}
        s["required"].append("judge")

    assert changed(edit)


def test_removing_an_enum_value_is_breaking():
    new = copy.deepcopy(OLD)
    disposal = new["properties"]["disposal"]
    disposal["enum"] = [v for v in disposal["enum"] if v != "fine"]
    assert incompatibilities(OLD, new)


def test_closing_additional_properties_is_breaking():
    assert changed(lambda s: s.update({"additionalProperties": False}))


def test_tightening_a_limit_is_breaking():
    assert changed(lambda s: s["properties"]["custody_months"]["anyOf"][0].update({"maximum": 12}))


def test_additive_changes_pass():
    def edit(s):
        s["properties"]["court_code"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
        s["properties"]["disposal"]["enum"].append("hospital_order")
        s["description"] = "changed words"

    assert changed(edit) == []
