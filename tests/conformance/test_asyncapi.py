"""docs/asyncapi.json is what the generator writes, and the official AsyncAPI parser accepts it without error."""

from __future__ import annotations

import copy
import json

import pytest
from wja_cli.asyncapi import NOT_DRAFT_07, SCHEMA_FORMAT, document, payload
from wja_schemas import EVENT_TYPES, PoisonEventError, from_record, new_envelope, schema_id, to_record
from wja_schemas.examples import example

from .validators import REPO, asyncapi_diagnostics, errors_of

COMMITTED = REPO / "docs" / "asyncapi.json"
CLOUDEVENTS_REQUIRED = ("ce_id", "ce_source", "ce_type", "ce_specversion")


def test_the_committed_document_is_what_the_generator_writes():
    assert COMMITTED.read_text() == json.dumps(document(), indent=2, sort_keys=True) + "\n", "run make schemas"


def test_the_official_parser_reports_no_error(tmp_path):
    answer = asyncapi_diagnostics(json.loads(COMMITTED.read_text()), tmp_path)
    assert answer["version"].startswith("3.")
    assert errors_of(answer) == []
    assert answer["parsed"] is True


def test_the_parser_does_report_a_payload_reference_that_does_not_resolve(tmp_path):
    """The control: the document as it was before (a payload's own ``#/$defs/...`` from the root) fails."""
    broken = copy.deepcopy(document())
    message = broken["components"]["messages"]["wja_charging_decision_made_v1"]
    message["payload"]["schema"]["properties"]["charges"]["items"] = {"$ref": "#/$defs/Charge"}
    errors = errors_of(asyncapi_diagnostics(broken, tmp_path))
    assert any("invalid-ref" in e and "#/$defs/Charge" in e for e in errors), errors


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_each_message_describes_its_headers_and_requires_what_a_reader_needs(ce_type):
    message = document()["components"]["messages"][ce_type.replace(".", "_")]
    headers = message["headers"]
    assert set(CLOUDEVENTS_REQUIRED) <= set(headers["required"])
    assert {"content-type", "tracestate", "traceparent", "ce_causationid"} <= set(headers["properties"])
    assert headers["properties"]["ce_dataschema"]["const"] == schema_id(ce_type)
    _, _, written = to_record(new_envelope(example(ce_type)))
    assert set(headers["required"]) == {name for name, _ in written}  # required = what every record carries
    assert message["payload"]["schemaFormat"] == SCHEMA_FORMAT


@pytest.mark.parametrize("header", CLOUDEVENTS_REQUIRED)
def test_a_record_without_a_required_cloudevents_header_is_refused_by_the_reader(header):
    key, value, headers = to_record(new_envelope(example("wja.court.sentence.imposed.v1")))
    with pytest.raises(PoisonEventError, match=header):
        from_record(key, value, [(k, v) for k, v in headers if k != header])


def test_payloads_hold_no_keyword_a_draft_07_reader_would_ignore():
    def keywords(node):
        if isinstance(node, dict):
            yield from node
            for key, value in node.items():
                if key not in {"properties", "enum", "examples", "default", "const"}:
                    yield from keywords(value)
                elif key == "properties":
                    for sub in value.values():
                        yield from keywords(sub)
        elif isinstance(node, list):
            for value in node:
                yield from keywords(value)

    doc = document()
    found = set(keywords([m["payload"]["schema"] for m in doc["components"]["messages"].values()]))
    found |= set(keywords(list(doc["components"]["schemas"].values())))
    assert "type" in found and "anyOf" in found  # the walk does reach into the payloads
    assert not found & NOT_DRAFT_07
    assert not found & {"$schema", "$id"}


def test_the_generator_refuses_a_newer_keyword_and_two_different_models_of_one_name():
    with pytest.raises(ValueError, match="prefixItems"):
        payload({"$id": "x", "properties": {"pair": {"type": "array", "prefixItems": [{"type": "string"}]}}}, {})
    shared: dict = {}
    payload({"$defs": {"Charge": {"type": "object"}}, "properties": {}}, shared)
    assert shared == {"Charge": {"type": "object"}}
    with pytest.raises(ValueError, match="Charge"):
        payload({"$defs": {"Charge": {"type": "string"}}, "properties": {}}, shared)
