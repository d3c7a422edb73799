"""Trace sampling: parent-based, configurable, errors always kept (wja_platform.telemetry)."""

from __future__ import annotations

from opentelemetry import context, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags
from wja_platform import telemetry


def provider(ratio: float) -> tuple[trace.Tracer, TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tp = TracerProvider(sampler=telemetry.sampler(ratio))
    tp.add_span_processor(telemetry.SampledOrErrorSpanProcessor(exporter, schedule_delay_millis=10))
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


def test_ratio_zero_records_but_exports_only_errors() -> None:
    tracer, tp, exporter = provider(0.0)
    with tracer.start_as_current_span("root ok") as root:
        assert root.is_recording()
        assert not root.get_span_context().trace_flags.sampled
        with tracer.start_as_current_span("child failed") as child:
            child.set_status(Status(StatusCode.ERROR))
        with tracer.start_as_current_span("child ok"):
            pass
    assert exported(tp, exporter) == ["child failed"]


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
