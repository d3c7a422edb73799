"""Every event type's record is a CloudEvent to both SDKs (Python's, and the JavaScript one in strict
mode), and its ``ce_dataschema`` resolves to its committed schema file.

The records here are the ones :func:`~wja_schemas.envelope.to_record` makes for the example payload
of every type; ``tests/e2e/test_bus.py`` runs the same checks on what the running services publish.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from cloudevents.core.bindings import kafka
from cloudevents.core.exceptions import CloudEventValidationError
from wja_schemas import EVENT_TYPES, new_envelope, to_record
from wja_schemas.examples import example, full_example
from wja_schemas.snapshot import snapshot_path

from .validators import committed_by_id, integrators_example, js_cloudevents

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
RECORDS = [
    to_record(new_envelope(p, causationid="cause-1").with_trace({"traceparent": TRACEPARENT, "tracestate": "wja=1"}))
    for t in sorted(EVENT_TYPES)
    for p in (example(t), full_example(t))
]


def python_event(key, value, headers):
    """Python's CloudEvents SDK: the core Kafka binding validates every attribute as it builds the event."""
    return kafka.from_binary_event(kafka.KafkaMessage(headers=dict(headers), key=key, value=value))


def test_every_record_is_a_valid_cloudevent_to_the_python_sdk():
    for key, value, headers in RECORDS:
        event = python_event(key, value, headers)
        h = {k: v.decode() for k, v in headers}
        assert event.get_type() == h["ce_type"]
        assert event.get_dataschema() == f"urn:wja:schema:{h['ce_type']}"
        assert event.get_data() == json.loads(value)


@pytest.mark.parametrize("header", ["ce_source", "ce_type"])
def test_the_python_sdk_does_refuse_a_record_without_a_required_attribute(header):
    """(It makes up an ``id`` and a ``time`` when they are missing, so it is not asked about those.)"""
    key, value, headers = RECORDS[0]
    with pytest.raises(CloudEventValidationError, match=header.removeprefix("ce_")):
        python_event(key, value, [(k, v) for k, v in headers if k != header])


def test_every_record_is_a_valid_cloudevent_to_the_javascript_sdk_in_strict_mode(tmp_path):
    results = js_cloudevents(RECORDS, tmp_path)
    assert len(results) == len(RECORDS)
    for (_, _, headers), result in zip(RECORDS, results, strict=True):
        h = {k: v.decode() for k, v in headers}
        assert result["ok"], f"{h['ce_type']}: {result.get('error')}"
        assert (result["id"], result["type"], result["dataschema"]) == (h["ce_id"], h["ce_type"], h["ce_dataschema"])


def test_the_javascript_sdk_does_refuse_what_the_issue_found_a_bare_type_as_dataschema(tmp_path):
    """The control: the records as they were before (``ce_dataschema`` = the bare ``ce_type``)."""
    key, value, headers = RECORDS[0]
    before = [(k, v if k != "ce_dataschema" else dict(headers)["ce_type"]) for k, v in headers]
    [result] = js_cloudevents([(key, value, before)], tmp_path)
    assert not result["ok"]
    assert "dataschema" in result["error"]


def test_every_dataschema_resolves_to_its_committed_file_and_the_value_validates_there():
    by_id = committed_by_id()
    example_code = integrators_example()
    registry = example_code["load_registry"](snapshot_path("wja.court.sentence.imposed.v1").parents[1])
    seen = set()
    for _, value, headers in RECORDS:
        h = {k: v.decode() for k, v in headers}
        path = by_id[h["ce_dataschema"]]
        assert path == snapshot_path(h["ce_type"])
        assert example_code["validate_record"](registry, dict(headers), value) == json.loads(value)
        seen.add(h["ce_type"])
    assert seen == set(EVENT_TYPES)


def test_the_integrators_example_does_refuse_a_value_that_breaks_its_schema():
    example_code = integrators_example()
    registry = example_code["load_registry"](snapshot_path("wja.court.sentence.imposed.v1").parents[1])
    _, value, headers = to_record(new_envelope(example("wja.court.sentence.imposed.v1")))
    broken = json.dumps({**json.loads(value), "imposed_at": "yesterday"}).encode()
    with pytest.raises(jsonschema.ValidationError, match="date-time"):
        example_code["validate_record"](registry, dict(headers), broken)
