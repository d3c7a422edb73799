"""Every event type maps to a CloudEvents binary-mode record and back, losslessly."""

from __future__ import annotations

import json

import jsonschema
import pytest
from cloudevents.v1.kafka import KafkaMessage, from_binary
from wja_schemas import EVENT_TYPES, from_record, new_envelope, to_record
from wja_schemas.examples import all_examples
from wja_schemas.snapshot import snapshot_path

EXAMPLES = all_examples()
REQUIRED_HEADERS = {
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_specversion",
    "ce_time",
    "ce_subject",
    "ce_partitionkey",
    "ce_dataschema",
    "ce_correlationid",
    "content-type",
}


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.ce_type)
def test_record_roundtrip_is_lossless(payload):
    env = new_envelope(payload, causationid="cause-1", correlationid="corr-1").with_trace(
        {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    )
    key, value, headers = to_record(env)
    names = [k for k, _ in headers]
    assert set(names) == REQUIRED_HEADERS | {"ce_causationid", "traceparent"}
    h = {k: v.decode() for k, v in headers}
    assert key == payload.urn.encode() == h["ce_partitionkey"].encode() == h["ce_subject"].encode()
    assert h["ce_source"] == f"/wja/{payload.producer}" and h["ce_specversion"] == "1.0"
    assert h["ce_time"].endswith("Z") and h["ce_dataschema"] == payload.ce_type
    assert json.loads(value) == json.loads(payload.model_dump_json())  # the value is the payload, unwrapped
    back = from_record(key, value, headers)
    assert back.payload == payload
    assert (back.id, back.source, back.type, back.subject) == (env.id, env.source, env.type, env.subject)
    assert (back.correlationid, back.causationid) == ("corr-1", "cause-1")
    assert back.time == env.time.replace(microsecond=back.time.microsecond)
    assert back.trace["traceparent"] == env.trace["traceparent"]


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.ce_type)
def test_cloudevents_sdk_parses_the_record_and_the_value_fits_the_committed_schema(payload):
    key, value, headers = to_record(new_envelope(payload))
    event = from_binary(KafkaMessage(headers=dict(headers), key=key, value=value))
    assert event["type"] == payload.ce_type
    assert event["source"] == f"/wja/{payload.producer}"
    assert event["subject"] == payload.urn
    assert event["datacontenttype"] == "application/json"
    schema = json.loads(snapshot_path(payload.ce_type).read_text())
    assert schema["$id"] == payload.ce_type
    jsonschema.validate(json.loads(value), schema)


def test_every_registered_type_has_an_example():
    assert {p.ce_type for p in EXAMPLES} == set(EVENT_TYPES)
