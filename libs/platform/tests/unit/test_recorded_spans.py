"""Recorded spans made without the SDK's tracer (wja_platform.spans): the same span the SDK makes, or none."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, StatusCode, TraceFlags
from wja_platform import clock, spans, telemetry

SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """A provider set up as :func:`telemetry.setup_telemetry` sets one up, in memory, taken as the installed one."""
    exporter = InMemorySpanExporter()
    tp = TracerProvider(sampler=telemetry.sampler(1.0))
    tp.add_span_processor(telemetry.CaseUrnSpanProcessor())
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(spans, "_provider", tp)
    yield tp, exporter
    tp.shutdown()


def attributes(urn: str = "01YE0000126") -> dict[str, str | int]:
    return {"messaging.system": "kafka", "messaging.kafka.offset": 7, "wja.case.urn": urn}


def both(tp: TracerProvider, exporter: InMemorySpanExporter, carrier: dict[str, str]) -> tuple[ReadableSpan, ...]:
    """The span the SDK makes and ours, under the same parent, with the same attributes and link; ended."""
    link = [Link(SpanContext(1, 2, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED)))]
    sdk = tp.get_tracer("wja.consumer").start_span(
        "support.apply x",
        context=telemetry.remote_parent(carrier),
        kind=SpanKind.CONSUMER,
        attributes=attributes(),
        links=link,
    )
    ours = spans.recorded_span("wja.consumer", "support.apply x", carrier, SpanKind.CONSUMER, attributes(), link)
    assert ours is not None
    for span in (sdk, ours):
        span.set_attribute("messaging.destination.partition.id", "2")
        span.end()
    by_kind = {type(s) is spans.RecordedSpan: s for s in exporter.get_finished_spans()}
    return by_kind[False], by_kind[True]


def test_the_span_is_made_as_the_sdks_tracer_makes_it(installed) -> None:  # type: ignore[no-untyped-def]
    tp, exporter = installed
    sdk, ours = both(tp, exporter, {"traceparent": SAMPLED})
    assert ours.context.trace_id == sdk.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert ours.context.span_id != sdk.context.span_id and ours.context.span_id != 0
    assert ours.context.trace_flags == sdk.context.trace_flags and ours.context.trace_flags.sampled
    assert ours.context.is_remote is sdk.context.is_remote is False
    assert ours.parent == sdk.parent and ours.parent is not None and ours.parent.is_remote
    for field in ("name", "kind", "resource", "links", "events"):
        assert getattr(ours, field) == getattr(sdk, field), field
    assert dict(ours.attributes or {}) == dict(sdk.attributes or {})
    assert ours.status.status_code is sdk.status.status_code is StatusCode.UNSET
    assert ours.instrumentation_scope is not None and sdk.instrumentation_scope is not None
    assert ours.instrumentation_scope.name == sdk.instrumentation_scope.name == "wja.consumer"
    assert sdk.start_time is not None and sdk.end_time is not None
    assert ours.start_time is not None and ours.end_time is not None and ours.start_time <= ours.end_time


def test_the_file_exporter_writes_the_same_line(installed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tp, exporter = installed
    sdk, ours = both(tp, exporter, {"traceparent": SAMPLED})
    path = tmp_path / "spans.jsonl"
    file = telemetry.RedactingSpanExporter(telemetry.JsonLinesSpanExporter(path, "wja-support"))
    file.export([sdk, ours])
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        del line["span_id"], line["start"], line["end"]
    assert lines[0] == lines[1]
    assert lines[1]["attributes"]["messaging.destination.partition.id"] == "2"


def test_the_case_and_the_simulated_time_are_stamped_as_on_every_span(installed) -> None:  # type: ignore[no-untyped-def]
    tp, exporter = installed
    token = telemetry.set_case_urn("01YE0000226")
    sim = clock.set_simulated_time(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    try:
        sdk, ours = both(tp, exporter, {"traceparent": SAMPLED})
    finally:
        clock.reset_simulated_time(sim)
        telemetry.reset_case_urn(token)
    assert ours.attributes is not None and sdk.attributes is not None
    assert ours.attributes["wja.case.urn"] == sdk.attributes["wja.case.urn"] == "01YE0000226"
    assert telemetry.SIM_TIME_ATTRIBUTE in ours.attributes


def test_an_error_is_recorded_as_the_sdk_records_it(installed) -> None:  # type: ignore[no-untyped-def]
    tp, exporter = installed
    carrier = {"traceparent": SAMPLED}
    made = [
        tp.get_tracer("t").start_span("a", context=telemetry.remote_parent(carrier)),
        spans.recorded_span("t", "a", carrier, SpanKind.INTERNAL, {}),
    ]
    for span in made:
        assert span is not None
        with pytest.raises(KeyError), trace.use_span(span, end_on_exit=True):
            raise KeyError("k")
    for span in [
        tp.get_tracer("t").start_span("b", context=telemetry.remote_parent(carrier)),
        spans.recorded_span("t", "b", carrier, SpanKind.INTERNAL, {}),
    ]:
        assert span is not None
        with pytest.raises(ValueError), span:  # the span as its own context manager
            raise ValueError("v")
    for name in ("a", "b"):
        sdk, ours = sorted(
            (s for s in exporter.get_finished_spans() if s.name == name), key=lambda s: type(s) is spans.RecordedSpan
        )
        assert type(ours) is spans.RecordedSpan and type(sdk) is not spans.RecordedSpan
        assert ours.status.status_code is sdk.status.status_code is StatusCode.ERROR
        assert ours.status.description == sdk.status.description
        assert [e.name for e in ours.events] == [e.name for e in sdk.events] == ["exception"]
        ours_event, sdk_event = ours.events[0].attributes or {}, sdk.events[0].attributes or {}
        assert set(ours_event) == set(sdk_event)
        for key in ("exception.type", "exception.message", "exception.escaped"):
            assert ours_event[key] == sdk_event[key], key


def test_an_ended_span_changes_no_more_and_is_exported_once(installed) -> None:  # type: ignore[no-untyped-def]
    _, exporter = installed
    span = spans.recorded_span("t", "a", {"traceparent": SAMPLED}, SpanKind.INTERNAL, {"k": "v"})
    assert span is not None and span.is_recording()
    span.end()
    span.set_attribute("late", "x")
    span.set_status(StatusCode.ERROR)
    span.add_event("late")
    span.end()
    (exported,) = exporter.get_finished_spans()
    assert not span.is_recording()
    assert dict(exported.attributes or {}) == {"k": "v"}
    assert exported.status.status_code is StatusCode.UNSET and not exported.events


def test_a_span_started_inside_it_is_its_child(installed) -> None:  # type: ignore[no-untyped-def]
    tp, exporter = installed
    span = spans.recorded_span("t", "outer", {"traceparent": SAMPLED}, SpanKind.CONSUMER, {})
    assert span is not None
    with trace.use_span(span, end_on_exit=True), tp.get_tracer("t").start_as_current_span("inner"):
        assert telemetry.current_trace_headers()["traceparent"].split("-")[1] == SAMPLED.split("-")[1]
    inner, outer = exporter.get_finished_spans()
    assert inner.parent is not None and inner.parent.span_id == outer.context.span_id
    assert inner.context.trace_id == outer.context.trace_id


@pytest.mark.parametrize(
    "carrier",
    [
        {"traceparent": SAMPLED[:-2] + "00"},  # unsampled: not recorded at all
        {"traceparent": SAMPLED, "tracestate": "v=1"},  # the SDK carries the state over
        {"traceparent": "00-" + "0" * 32 + "-b7ad6b7169203331-01"},
        {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-" + "0" * 16 + "-01"},
        {"traceparent": "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        {"traceparent": "garbage"},
        {},
    ],
)
def test_the_sdk_makes_any_other_span(installed, carrier: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert spans.recorded_span("t", "a", carrier, SpanKind.INTERNAL, {}) is None


def test_nothing_is_made_before_the_provider_is_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spans, "_provider", None)  # another provider (and sampler) may be in use
    assert spans.recorded_span("t", "a", {"traceparent": SAMPLED}, SpanKind.INTERNAL, {}) is None


def test_a_child_of_the_current_span_is_made_as_the_sdk_makes_it(installed) -> None:  # type: ignore[no-untyped-def]
    tp, exporter = installed
    tracer = tp.get_tracer("wja_platform")
    with tracer.start_as_current_span("POST /v1/reports") as server:
        sdk = tracer.start_span("intake.transaction", kind=SpanKind.CLIENT, attributes={"db.system.name": "pg"})
        ours = spans.recorded_child(
            "wja_platform", "intake.transaction", server, SpanKind.CLIENT, {"db.system.name": "pg"}
        )
        assert ours is not None
        for span in (sdk, ours):
            span.end()
    finished = {(type(s) is spans.RecordedSpan, s.name): s for s in exporter.get_finished_spans()}
    made, theirs = finished[True, "intake.transaction"], finished[False, "intake.transaction"]
    assert made.parent == theirs.parent == server.get_span_context()
    assert made.context.trace_id == theirs.context.trace_id and made.context.trace_flags == theirs.context.trace_flags
    assert (made.kind, dict(made.attributes or {})) == (theirs.kind, dict(theirs.attributes or {}))


def test_no_child_is_made_under_an_unsampled_or_invalid_span(installed) -> None:  # type: ignore[no-untyped-def]
    unsampled = trace.NonRecordingSpan(SpanContext(5, 6, is_remote=True, trace_flags=TraceFlags(0)))
    for parent in (unsampled, trace.INVALID_SPAN):
        assert spans.recorded_child("t", "a", parent, SpanKind.CLIENT, {}) is None
