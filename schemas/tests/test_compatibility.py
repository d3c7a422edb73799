"""The committed schemas are the contract: changes must be additive, and the check really bites."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from wja_schemas import EVENT_TYPES
from wja_schemas.snapshot import ROOT, check, current, incompatibilities, main, render, snapshot_path, stale, write


def committed(ce_type: str) -> dict:
    return json.loads(snapshot_path(ce_type).read_text())


def test_the_code_is_compatible_with_every_committed_schema():
    assert check() == []


def test_the_committed_files_are_exactly_what_the_code_generates():
    assert stale() == []
    for ce_type, schema in current().items():
        assert snapshot_path(ce_type).read_text() == render(schema), f"{ce_type}: run make schemas"


def test_the_command_line_check_passes():
    assert main(["--check"]) == 0


SENTENCE = committed("wja.court.sentence.imposed.v1")
REPORT = committed("wja.intake.crime.reported.v1")  # has a nested model ($defs/Suspect)


def before_rebaseline(schema: dict) -> dict:
    """``schema`` as committed before 2026-11-30: a bare ``$id`` and no ``format`` on time fields."""
    old = copy.deepcopy(schema)
    old["$id"] = old["$id"].removeprefix("urn:wja:schema:")
    for prop in old["properties"].values():
        for node in [prop, prop.get("items", {}), *prop.get("anyOf", [])]:
            if node.get("format") == "date-time":
                del node["format"]
    return old


SENTENCE_BEFORE = before_rebaseline(SENTENCE)


def changed(edit: Callable[[dict], object], old: dict = SENTENCE) -> list[str]:
    """Incompatibilities of ``old`` edited by ``edit`` (the edit plays the new code)."""
    new = copy.deepcopy(old)
    edit(new)
    return incompatibilities(old, new)


def branch(schema: dict, prop: str, index: int = 0) -> dict:
    return schema["properties"][prop]["anyOf"][index]


BREAKING: dict[str, tuple[Callable[[dict], object], dict, str]] = {
    "remove a field": (lambda s: s["properties"].pop("custody_months"), SENTENCE, "custody_months: removed"),
    "change a type": (
        lambda s: s["properties"]["imposed_at"].update({"type": "integer"}),
        SENTENCE,
        "imposed_at: type narrowed",
    ),
    "change a nullable type": (
        lambda s: branch(s, "custody_months").update({"type": "string"}),
        SENTENCE,
        "custody_months: type narrowed",
    ),
    "add a required field": (
        lambda s: (s["properties"].update({"judge_code": {"type": "string"}}), s["required"].append("judge_code")),
        SENTENCE,
        "judge_code: new required property",
    ),
    "make an optional field required": (
        lambda s: s["required"].append("custody_months"),
        SENTENCE,
        "custody_months: became required",
    ),
    "make an optional field non-nullable": (
        lambda s: s["properties"].update({"custody_months": {"type": "integer", "minimum": 0}}),
        SENTENCE,
        "custody_months: type narrowed (null",
    ),
    "remove an enum value": (
        lambda s: s["properties"]["disposal"].update(
            {"enum": [v for v in s["properties"]["disposal"]["enum"] if v != "fine"]}
        ),
        SENTENCE,
        "disposal: enum values removed ['fine']",
    ),
    "restrict a string to an enum": (
        lambda s: s["properties"]["imposed_at"].update({"enum": ["x"]}),
        SENTENCE,
        "imposed_at: restricted to enum",
    ),
    "add a format": (
        lambda s: s["properties"]["urn"].update({"format": "date-time"}),
        SENTENCE,
        "urn: format added",
    ),
    "add a format other than the one the description promised": (
        lambda s: s["properties"]["imposed_at"].update({"format": "date"}),
        SENTENCE_BEFORE,
        "imposed_at: format added (date)",
    ),
    "add date-time to a free-text string the code does not describe as a time": (
        lambda s: s["$defs"]["Suspect"]["properties"]["name"].update({"format": "date-time"}),
        REPORT,
        "suspect.name: format added (date-time)",
    ),
    "change the date-time format of a time field": (
        lambda s: s["properties"]["imposed_at"].update({"format": "time"}),
        SENTENCE,
        "imposed_at: format changed (time)",
    ),
    "point $id at another type": (
        lambda s: s.update({"$id": "urn:wja:schema:wja.court.sentence.imposed.v2"}),
        SENTENCE,
        "$id changed",
    ),
    "move $id back to the bare type name": (
        lambda s: s.update({"$id": "wja.court.sentence.imposed.v1"}),
        SENTENCE,
        "$id changed",
    ),
    "change a format": (
        lambda s: branch(s, "until").update({"format": "date-time"}),
        committed("wja.court.restraining_order.made.v1"),
        "until: format changed",
    ),
    "change a pattern": (
        lambda s: s["properties"]["urn"].update({"pattern": "^[0-9]+$"}),
        SENTENCE,
        "urn: pattern changed",
    ),
    "lower a max_length": (
        lambda s: s["$defs"]["Suspect"]["properties"]["name"].update({"maxLength": 50}),
        REPORT,
        "suspect.name: maxLength tightened",
    ),
    "lower a maximum": (
        lambda s: branch(s, "custody_months").update({"maximum": 12}),
        SENTENCE,
        "custody_months: maximum tightened",
    ),
    "raise a min_items": (
        lambda s: s["properties"]["offence_codes"].update({"minItems": 2}),
        REPORT,
        "offence_codes: minItems tightened",
    ),
    "remove a nested field ($defs)": (
        lambda s: s["$defs"]["Suspect"]["properties"].pop("pnc_id"),
        REPORT,
        "suspect.pnc_id: removed",
    ),
    "change a nested type ($defs)": (
        lambda s: s["$defs"]["Suspect"]["properties"].update({"name": {"type": "integer"}}),
        REPORT,
        "suspect.name: type narrowed",
    ),
    "require a nested field ($defs)": (
        lambda s: s["$defs"]["Suspect"]["required"].append("pnc_id"),
        REPORT,
        "suspect.pnc_id: became required",
    ),
    "change a list's item type": (
        lambda s: s["properties"]["offence_codes"].update({"items": {"type": "integer"}}),
        REPORT,
        "offence_codes[]: type narrowed",
    ),
    "close additionalProperties": (
        lambda s: s.update({"additionalProperties": False}),
        SENTENCE,
        "sentence.imposed.v1: additionalProperties closed",
    ),
    "close a nested model": (
        lambda s: s["$defs"]["Suspect"].update({"additionalProperties": False}),
        REPORT,
        "suspect: additionalProperties closed",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKING))
def test_a_breaking_change_is_caught(name):
    edit, old, expected = BREAKING[name]
    problems = changed(edit, old)
    assert len(problems) == 1 and expected in problems[0], problems


ADDITIVE: dict[str, tuple[Callable[[dict], object], dict]] = {
    "add an optional field": (
        lambda s: s["properties"].update(
            {"court_code": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}}
        ),
        SENTENCE,
    ),
    "add an enum value": (lambda s: s["properties"]["disposal"]["enum"].append("hospital_order"), SENTENCE),
    "change descriptions and titles": (
        lambda s: s.update({"description": "changed words", "title": "Other"}),
        SENTENCE,
    ),
    "raise a max_length": (lambda s: s["$defs"]["Suspect"]["properties"]["name"].update({"maxLength": 500}), REPORT),
    "drop a pattern": (lambda s: s["properties"]["unit"].pop("pattern"), REPORT),
    "widen an enum to a string": (lambda s: s["properties"]["disposal"].pop("enum"), SENTENCE),
    "widen integer to number": (lambda s: branch(s, "custody_months").update({"type": "number"}), SENTENCE),
    "make a required field optional": (lambda s: s["required"].remove("disposal"), SENTENCE),
    "make a field nullable": (
        lambda s: s["properties"].update({"disposal": {"anyOf": [s["properties"]["disposal"], {"type": "null"}]}}),
        SENTENCE,
    ),
    "state the date-time format that the description promised (the 2026-11-30 re-baseline)": (
        lambda s: s["properties"]["imposed_at"].update({"format": "date-time"}),
        SENTENCE_BEFORE,
    ),
    "name the schema by the absolute URI of its type (the 2026-11-30 re-baseline)": (
        lambda s: s.update({"$id": "urn:wja:schema:wja.court.sentence.imposed.v1"}),
        SENTENCE_BEFORE,
    ),
    "add an optional nested field": (
        lambda s: s["$defs"]["Suspect"]["properties"].update({"alias_code": {"type": "string"}}),
        REPORT,
    ),
}


@pytest.mark.parametrize("name", sorted(ADDITIVE))
def test_an_additive_change_passes(name):
    edit, old = ADDITIVE[name]
    assert changed(edit, old) == []


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_removing_any_property_or_requiring_any_optional_one_is_caught(ce_type):
    old = committed(ce_type)
    for prop in old["properties"]:
        assert changed(lambda s, p=prop: s["properties"].pop(p), old), f"{ce_type}.{prop} removal"
        if prop not in old["required"]:
            assert changed(lambda s, p=prop: s["required"].append(p), old), f"{ce_type}.{prop} required"


def test_the_whole_rebaseline_passes_for_every_type_but_a_real_break_in_it_still_fails():
    for ce_type in EVENT_TYPES:
        assert incompatibilities(before_rebaseline(committed(ce_type)), committed(ce_type)) == [], ce_type
    broken = copy.deepcopy(SENTENCE)
    broken["required"].append("custody_months")
    assert incompatibilities(SENTENCE_BEFORE, broken) == [f"{SENTENCE_BEFORE['$id']}.custody_months: became required"]


@pytest.fixture
def tmp_root(tmp_path: Path) -> Path:
    """A copy of the committed schema directories."""
    for producer in ("intake", "charging", "court", "support"):
        shutil.copytree(ROOT / producer, tmp_path / producer)
    return tmp_path


def test_check_reports_a_removed_event_type_a_missing_file_and_a_misplaced_one(tmp_root: Path):
    assert check(tmp_root) == []
    (tmp_root / "court" / "wja.court.hearing.adjourned.v1.json").write_text("{}")
    (tmp_root / "intake" / "wja.intake.crime.reported.v1.json").rename(tmp_root / "court" / "x.json")
    (tmp_root / "court" / "wja.court.verdict.recorded.v1.json").rename(
        tmp_root / "support" / "wja.court.verdict.recorded.v1.json"
    )
    problems = "\n".join(check(tmp_root))
    assert "wja.court.hearing.adjourned.v1: event type removed" in problems
    assert "wja.intake.crime.reported.v1: no committed schema" in problems
    assert "support/wja.court.verdict.recorded.v1.json" in problems


def test_write_refuses_a_breaking_change_and_writes_an_additive_one(tmp_root: Path):
    path = tmp_root / "court" / "wja.court.sentence.imposed.v1.json"
    wider = copy.deepcopy(SENTENCE)
    wider["properties"]["judge_code"] = {"type": "string"}  # committed, but the code has no such field
    path.write_text(render(wider))
    with pytest.raises(SystemExit, match="judge_code: removed"):
        write(tmp_root)
    narrower = copy.deepcopy(SENTENCE)
    del narrower["properties"]["custody_months"]  # the code adds an optional field: fine
    path.write_text(render(narrower))
    assert stale(tmp_root)
    write(tmp_root)
    assert check(tmp_root) == [] and stale(tmp_root) == []
