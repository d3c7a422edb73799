"""Every event type maps to a CloudEvents binary-mode record and back, losslessly (journey.md section 2)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from cloudevents.core.bindings import kafka as core_kafka
from cloudevents.v1 import kafka as v1_kafka
from wja_schemas import EVENT_TYPES, Event, from_record, new_envelope, to_record
from wja_schemas.envelope import current_headers, record_headers
from wja_schemas.examples import all_examples, example, full_example
from wja_schemas.snapshot import snapshot_path

EXAMPLES = all_examples()
FULL_EXAMPLES = [full_example(t) for t in sorted(EVENT_TYPES)]
ATTRIBUTE_HEADERS = {
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
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def committed(ce_type: str) -> dict:
    return json.loads(snapshot_path(ce_type).read_text())


def validate(value: bytes, ce_type: str) -> None:
    schema = committed(ce_type)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(json.loads(value))


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.ce_type)
def test_record_roundtrip_is_lossless(payload: Event):
    env = new_envelope(payload, causationid="cause-1", correlationid="corr-1").with_trace({"traceparent": TRACEPARENT})
    key, value, headers = to_record(env)
    assert sorted(k for k, _ in headers) == sorted(ATTRIBUTE_HEADERS | {"ce_causationid", "traceparent"})
    assert from_record(key, value, headers) == env


def test_record_headers_with_another_trace_take_its_trace_headers_and_nothing_else_of_it():
    """What the outbox writes: the current span's trace instead of the envelope's (no copy of the envelope)."""
    env = new_envelope(EXAMPLES[0], causationid="cause-1").with_trace(
        {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}
    )
    own = {k: v.decode() for k, v in to_record(env)[2]}
    assert record_headers(env) == own  # the same headers, in the same order
    assert list(record_headers(env)) == [k for k, _ in to_record(env)[2]]
    other = record_headers(env, {"traceparent": TRACEPARENT, "baggage": "k=v"})
    assert other == {**own, "traceparent": TRACEPARENT}
    assert "traceparent" not in record_headers(env, {})  # an empty trace is none, not the envelope's


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: p.ce_type)
def test_headers_key_and_value_are_the_journey_set(payload: Event):
    env = new_envelope(payload)
    key, value, headers = to_record(env)
    names = [k for k, _ in headers]
    assert len(names) == len(set(names))
    assert set(names) == ATTRIBUTE_HEADERS  # no ce_causationid when none is set, no trace headers when none
    h = {k: v.decode() for k, v in headers}
    assert key == payload.urn.encode()
    assert h["ce_subject"] == h["ce_partitionkey"] == payload.urn
    assert h["ce_id"] == env.id
    assert h["ce_source"] == f"/wja/{payload.producer}"
    assert h["ce_type"] == payload.ce_type
    assert h["ce_specversion"] == "1.0"
    assert h["ce_time"].endswith("Z") and "+" not in h["ce_time"]
    assert h["ce_dataschema"] == committed(payload.ce_type)["$id"] == f"urn:wja:schema:{payload.ce_type}"
    assert h["ce_correlationid"] == payload.urn  # the default correlation id
    assert h["content-type"] == "application/json"
    data = json.loads(value)
    assert data == json.loads(payload.model_dump_json())  # the value is exactly the payload, unwrapped
    assert data["urn"] == payload.urn and not {"data", "data_base64", "specversion"} & set(data)


@pytest.mark.parametrize("payload", EXAMPLES + FULL_EXAMPLES, ids=lambda p: p.ce_type)
def test_every_record_parses_with_both_cloudevents_kafka_bindings(payload: Event):
    env = new_envelope(payload, causationid="cause-1", correlationid="corr-1").with_trace({"traceparent": TRACEPARENT})
    key, value, headers = to_record(env)
    expected = {
        "id": env.id,
        "source": f"/wja/{payload.producer}",
        "type": payload.ce_type,
        "specversion": "1.0",
        "subject": payload.urn,
        "dataschema": f"urn:wja:schema:{payload.ce_type}",
        "datacontenttype": "application/json",
        "correlationid": "corr-1",
        "causationid": "cause-1",
    }

    core = core_kafka.from_binary_event(core_kafka.KafkaMessage(headers=dict(headers), key=key, value=value))
    attributes = core.get_attributes()
    assert {k: attributes[k] for k in expected} == expected
    assert attributes["partitionkey"] == payload.urn
    assert attributes["time"] == env.time
    assert core.get_data() == json.loads(value)

    legacy = v1_kafka.from_binary(v1_kafka.KafkaMessage(headers=dict(headers), key=key, value=value))
    assert {k: legacy[k] for k in expected} == expected
    assert legacy["time"].endswith("Z")
    assert legacy.data == json.loads(value)


@pytest.mark.parametrize("payload", EXAMPLES + FULL_EXAMPLES, ids=lambda p: p.ce_type)
def test_every_value_validates_against_its_committed_schema(payload: Event):
    _, value, _ = to_record(new_envelope(payload))
    validate(value, payload.ce_type)


def test_every_registered_type_has_an_example_that_exercises_every_field():
    assert {p.ce_type for p in EXAMPLES} == set(EVENT_TYPES)

    def unset(model: Event, path: str = "") -> set[str]:
        missing = {f"{path}{name}" for name in set(type(model).model_fields) - model.model_fields_set}
        for name in model.model_fields_set:
            values = getattr(model, name)
            for value in values if isinstance(values, list | tuple) else [values]:
                if hasattr(value, "model_fields_set"):
                    missing |= unset(value, f"{path}{name}.")
        return missing

    for ce_type in EVENT_TYPES:
        never_set = unset(example(ce_type)) & unset(full_example(ce_type))
        assert not never_set, f"{ce_type}: no example sets {sorted(never_set)}"


def test_times_are_normalised_to_utc_and_naive_times_are_refused():
    from datetime import datetime, timedelta, timezone

    from pydantic import ValidationError

    summer = datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    event = example("wja.intake.suspect.arrested.v1", arrested_at=summer)
    assert json.loads(event.model_dump_json())["arrested_at"] == "2026-07-01T08:00:00Z"
    precise = summer.replace(microsecond=120)  # in a list too, and with its microseconds
    reported = example("wja.intake.crime.reported.v1", reported_at=precise, offences_occurred_at=[precise, summer])
    written = json.loads(reported.model_dump_json())
    assert written["reported_at"] == "2026-07-01T08:00:00.000120Z"
    assert written["offences_occurred_at"] == ["2026-07-01T08:00:00.000120Z", "2026-07-01T08:00:00Z"]
    with pytest.raises(ValidationError):
        example("wja.intake.suspect.arrested.v1", arrested_at=datetime(2026, 7, 1, 9, 0))


def test_headers_stored_when_dataschema_was_the_bare_type_are_brought_to_the_uri():
    _, _, headers = to_record(new_envelope(example("wja.court.sentence.imposed.v1")))
    now = {k: v.decode() for k, v in headers}
    before = {**now, "ce_dataschema": "wja.court.sentence.imposed.v1"}
    assert current_headers(before) == now
    assert current_headers(now) == now
    other = {**now, "ce_dataschema": "https://example.org/some-other-schema"}  # not ours to rewrite
    assert current_headers(other) == other
    stored = [[name, value] for name, value in before.items()]  # as an outbox row keeps them
    assert current_headers(stored) == now and current_headers(before) is not before


def test_headers_are_read_as_bytes_or_text_in_any_case_and_a_header_not_utf8_is_named():
    from wja_schemas import PoisonEventError

    key, value, headers = to_record(new_envelope(example("wja.court.sentence.imposed.v1")))
    expected = from_record(key, value, headers)
    as_text = [(name.upper(), raw.decode()) for name, raw in headers]  # a header name's case does not matter
    assert from_record(key, value, as_text) == expected
    assert from_record(key, value, tuple(headers)) == expected
    assert from_record(key, value, dict(as_text)) == expected
    mixed = [*headers[:2], (headers[2][0], headers[2][1].decode()), *headers[3:]]
    assert from_record(key, value, mixed) == expected
    broken = [*headers, ("x-note", b"\xff\xfe")]
    with pytest.raises(PoisonEventError, match="header x-note is not UTF-8"):
        from_record(key, value, broken)


def test_event_ids_are_distinct_version_4_uuids_in_their_canonical_text():
    import uuid

    from wja_schemas.envelope import new_event_id

    ids = [new_event_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:1_000]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    assert (
        new_envelope(example("wja.court.sentence.imposed.v1")).id
        != new_envelope(example("wja.court.sentence.imposed.v1")).id
    )


def test_ce_time_is_rfc3339_in_utc_with_a_z_whatever_the_offset_it_was_given():
    from datetime import UTC, datetime, timedelta, timezone

    from wja_schemas.envelope import format_time

    instants = [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 12, 1, 6, 0, 0, 1, tzinfo=UTC)]
    instants += [datetime(2026, 7, 1, 9, 30, 0, 250_000, tzinfo=timezone(timedelta(hours=h))) for h in (-5, 0, 1, 14)]
    for at in instants:
        expected = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        assert format_time(at) == expected and datetime.fromisoformat(expected) == at
    assert format_time(datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))) == "2026-07-01T08:30:00Z"
    envelope = new_envelope(example("wja.court.sentence.imposed.v1"), time=instants[-1])
    assert envelope.time.tzinfo is UTC and dict(to_record(envelope)[2])["ce_time"] == b"2026-06-30T19:30:00.250000Z"
