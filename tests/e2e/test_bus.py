"""What is on the bus: CloudEvents that an independent client can read, valid, and free of victim data.

Reads every case topic with librdkafka (confluent-kafka), parses every record with the
CloudEvents SDKs (Python's, and the JavaScript one in strict mode through node), resolves its
``ce_dataschema`` to the committed JSON Schema file and validates it there (with the example of
docs/integrators.md); then searches keys, headers and values for the victim fixture's personal data.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema
import pytest
from cloudevents.core.bindings import kafka as core_kafka
from cloudevents.v1.kafka import KafkaMessage, from_binary
from confluent_kafka import Consumer, TopicPartition
from wja_schemas.topics import CASE_TOPICS

from ..conformance.validators import committed_by_id, integrators_example, js_cloudevents
from .helpers import CREATED_URNS, PII_VALUES
from .test_journeys import Journey

pytestmark = pytest.mark.e2e
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def read_all(bootstrap: str, topic: str) -> list:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"conformance-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = [TopicPartition(topic, p) for p in meta.partitions]
        ends = {p.partition: consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts}
        consumer.assign([TopicPartition(topic, p.partition, 0) for p in parts])
        records, remaining = [], {p for p, end in ends.items() if end > 0}
        while remaining:
            msg = consumer.poll(5)
            assert msg is not None, f"stalled reading {topic}"
            if msg.error():
                continue
            records.append(msg)
            if msg.offset() + 1 >= ends[msg.partition()]:
                remaining.discard(msg.partition())
        return records
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def bus(system):
    """Drive one case through several services, then read every case topic."""
    j = Journey(system)
    urn = j.report()
    j.request_charge()
    j.charge()
    j.hearing("first_hearing")
    j.timeline("wja.court.hearing.listed.v1", "wja.support.idva.assigned.v1")
    bootstrap = system.test_stack.bootstrap
    records = {topic: read_all(bootstrap, topic) for topic in CASE_TOPICS.values()}
    ours = {u.encode() for u in CREATED_URNS}
    return urn, {topic: [m for m in msgs if m.key() in ours] for topic, msgs in records.items()}


def test_every_record_is_a_cloudevent_valid_against_its_committed_schema(bus):
    _, records = bus
    checked = 0
    for producer, topic in CASE_TOPICS.items():
        for msg in records[topic]:
            headers = {k: v for k, v in (msg.headers() or [])}
            event = from_binary(KafkaMessage(headers=headers, key=msg.key(), value=msg.value()))
            assert event["specversion"] == "1.0"
            assert event["source"] == f"/wja/{producer}"
            key = event["partitionkey"]
            assert event["subject"] == msg.key().decode() == (key.decode() if isinstance(key, bytes) else key)
            assert event["time"].endswith("Z")
            assert headers["content-type"] == b"application/json"
            assert headers["ce_partitionkey"] == msg.key()
            assert "traceparent" in headers, sorted(headers)
            ce_type = event["type"]
            assert event["dataschema"] == f"urn:wja:schema:{ce_type}"
            schema = json.loads((SCHEMAS / producer / f"{ce_type}.json").read_text())
            jsonschema.validate(json.loads(msg.value()), schema)
            checked += 1
    assert checked >= 7


def test_every_record_passes_both_cloudevents_sdks_and_its_dataschema_resolves_to_its_committed_file(bus, tmp_path):
    _, records = bus
    msgs = [m for topic in CASE_TOPICS.values() for m in records[topic]]
    assert len(msgs) >= 7
    by_id = committed_by_id()
    example = integrators_example()
    registry = example["load_registry"](SCHEMAS)
    for msg in msgs:
        headers = dict(msg.headers() or [])
        event = core_kafka.from_binary_event(
            core_kafka.KafkaMessage(headers=headers, key=msg.key(), value=msg.value())
        )  # the Python SDK's core binding validates every attribute as it builds the event
        ce_type = event.get_type()
        assert by_id[event.get_dataschema()] == SCHEMAS / ce_type.split(".")[1] / f"{ce_type}.json"
        assert example["validate_record"](registry, headers, msg.value()) == event.get_data()
    results = js_cloudevents([(m.key(), m.value(), m.headers() or []) for m in msgs], tmp_path)
    assert [r for r in results if not r["ok"]] == []
    assert [r["id"] for r in results] == [dict(m.headers())["ce_id"].decode() for m in msgs]


def test_no_victim_personal_data_in_keys_headers_or_values(bus, system):
    records = {t: read_all(system.test_stack.bootstrap, t) for t in CASE_TOPICS.values()}
    needles = [v.encode() for v in PII_VALUES] + [v.lower().encode() for v in PII_VALUES]
    scanned = 0
    for topic, msgs in records.items():
        for msg in msgs:
            blob = b"\x00".join(
                [msg.key() or b"", msg.value() or b""]
                + [k.encode() + b"=" + (v or b"") for k, v in (msg.headers() or [])]
            )
            for needle in needles:
                assert needle not in blob.lower(), f"victim data on {topic}"
            scanned += 1
    assert scanned > 0


def test_the_case_is_on_every_topic_it_should_be(bus):
    urn, records = bus
    producers_with_case = {t for t, msgs in records.items() for m in msgs if m.key() == urn.encode()}
    assert producers_with_case >= {
        CASE_TOPICS["intake"],
        CASE_TOPICS["charging"],
        CASE_TOPICS["court"],
        CASE_TOPICS["support"],
    }
