"""Trace sampling: parent-based, configurable, errors always kept (wja_platform.telemetry)."""

from __future__ import annotations

from opentelemetry import context, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags
from wja_platform import telemetry


def provider(ratio: float) -> tuple[trace.Tracer, TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tp = TracerProvider(sampler=telemetry.sampler(ratio))
    tp.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=10))
    return tp.get_tracer("test"), tp, exporter


def exported(tp: TracerProvider, exporter: InMemorySpanExporter) -> list[str]:
    tp.force_flush()
    return sorted(s.name for s in exporter.get_finished_spans())


def test_ratio_one_exports_every_span() -> None:
    tracer, tp, exporter = provider(1.0)
    for i in range(20):
        with tracer.start_as_current_span(f"root {i}"), tracer.start_as_current_span(f"child {i}"):
            pass
    assert len(exported(tp, exporter)) == 40


def test_ratio_zero_records_nothing_but_keeps_an_error_in_a_span_of_its_own() -> None:
    tracer, tp, exporter = provider(0.0)
    with tracer.start_as_current_span("root ok") as root:
        assert not root.is_recording()  # unsampled: nothing gathered, nothing exported
        with tracer.start_as_current_span("child failed") as child:
            assert not child.is_recording()
            telemetry.keep_error("ConnectionResetError", "child failed: kept", tracer=tracer)
        with tracer.start_as_current_span("child ok"):
            pass
    tp.force_flush()
    (kept,) = exporter.get_finished_spans()
    assert kept.name == "child failed: kept"
    assert kept.status.status_code is StatusCode.ERROR
    assert kept.attributes == {"error.type": "ConnectionResetError"}
    assert kept.context.trace_id == child.get_span_context().trace_id  # the same trace as the failure
    assert kept.parent is not None and kept.parent.span_id == child.get_span_context().span_id


def test_an_error_in_a_recorded_span_is_left_to_it() -> None:
    tracer, tp, exporter = provider(1.0)
    with tracer.start_as_current_span("failed") as span:
        telemetry.keep_error("ValueError", "failed: kept", tracer=tracer)
        span.set_status(Status(StatusCode.ERROR))
    assert exported(tp, exporter) == ["failed"]  # no second span: the recorded one carries the error


def test_a_part_of_new_traces_is_kept_whole() -> None:
    tracer, tp, exporter = provider(0.5)
    for i in range(400):
        with tracer.start_as_current_span(f"root {i}"), tracer.start_as_current_span(f"child {i}"):
            pass
    names = exported(tp, exporter)
    roots = {n.split()[1] for n in names if n.startswith("root")}
    children = {n.split()[1] for n in names if n.startswith("child")}
    assert roots == children  # a trace is kept or dropped whole
    assert 120 < len(roots) < 280


def test_the_parent_decides_for_a_remote_parent() -> None:
    tracer, tp, exporter = provider(0.0)
    for flags, name in ((TraceFlags.SAMPLED, "under sampled"), (TraceFlags.DEFAULT, "under unsampled")):
        parent = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=TraceFlags(flags))
        token = context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
        try:
            with tracer.start_as_current_span(name):
                pass
        finally:
            context.detach(token)
    assert exported(tp, exporter) == ["under sampled"]


def test_ratio_comes_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("WJA_TRACE_SAMPLE_RATIO", raising=False)
    assert telemetry.sample_ratio() == 1.0
    monkeypatch.setenv("WJA_TRACE_SAMPLE_RATIO", "0.1")
    assert telemetry.sample_ratio() == 0.1
