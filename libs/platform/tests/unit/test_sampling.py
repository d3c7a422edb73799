"""Trace sampling: parent-based, configurable, errors always kept (wja_platform.telemetry)."""

from __future__ import annotations

from opentelemetry import context, propagate, trace
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


def sdk_child(tracer: trace.Tracer, carrier: dict[str, str]) -> trace.Span:
    return tracer.start_span("child", context=propagate.extract(carrier))


def test_a_span_under_an_unsampled_parent_is_made_as_the_sdk_would_make_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(telemetry, "_configured", True)  # as after setup_telemetry
    tracer, _, _ = provider(1.0)  # a new trace would be kept: the parent's decision is what counts
    for flags in ("00", "02"):  # unsampled; unsampled with a random trace id (W3C level 2)
        carrier = {"traceparent": f"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}"}
        ours, sdks = telemetry.unsampled_span(carrier), sdk_child(tracer, carrier)
        assert ours is not None and not ours.is_recording() and not sdks.is_recording()
        mine, theirs = ours.get_span_context(), sdks.get_span_context()
        assert (mine.trace_id, mine.trace_flags, mine.is_remote) == (theirs.trace_id, theirs.trace_flags, False)
        assert mine.span_id not in (0, 0xB7AD6B7169203331)  # a span of its own
        assert telemetry.traceparent(ours) == f"00-0af7651916cd43dd8448eb211c80319c-{mine.span_id:016x}-{flags}"
        injected: dict[str, str] = {}  # what the SDK's propagator writes with it current: the same header
        propagate.inject(injected, context=trace.set_span_in_context(ours))
        assert telemetry.trace_headers(ours) == injected == {"traceparent": telemetry.traceparent(ours)}
        assert ours.get_span_context() is mine and repr(mine) in repr(ours)
    twins = [telemetry.unsampled_span(carrier) for _ in range(1_000)]  # each a span id of its own
    assert len({telemetry.traceparent(s) for s in twins if s is not None}) == 1_000


def test_the_sdk_makes_the_span_under_a_sampled_odd_or_absent_parent(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(telemetry, "_configured", True)
    good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    for carrier in (
        {"traceparent": good.replace("-00", "-01")},  # sampled: recorded, by the SDK
        {"traceparent": good, "tracestate": "vendor=x"},  # the SDK carries the state over
        {"traceparent": "00-00000000000000000000000000000000-b7ad6b7169203331-00"},  # invalid: a new trace
        {"traceparent": good + "-extra"},  # version 00 takes nothing more
        {"traceparent": good.upper()},
        {},
    ):
        assert telemetry.unsampled_span(carrier) is None, carrier
    monkeypatch.setattr(telemetry, "_configured", False)  # before set-up another sampler may be in use
    assert telemetry.unsampled_span({"traceparent": good}) is None


def test_the_current_trace_headers_follow_the_current_span() -> None:
    tracer, _, _ = provider(1.0)
    assert telemetry.current_trace_headers() == {}  # no span: nothing to carry
    for name in ("first", "second"):
        with tracer.start_as_current_span(name) as span:
            expected: dict[str, str] = {}
            propagate.inject(expected)
            assert telemetry.current_trace_headers() == expected == {"traceparent": telemetry.traceparent(span)}
            assert telemetry.current_trace_headers() == expected  # remembered for this context
            with tracer.start_as_current_span("child") as child:
                assert telemetry.current_trace_headers() == {"traceparent": telemetry.traceparent(child)}
            assert telemetry.current_trace_headers() == expected  # the parent's again


def test_the_remote_parent_is_what_the_propagators_extract(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from opentelemetry import baggage
    from opentelemetry.propagators.composite import CompositePropagator
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    carriers: list[dict[str, str]] = [
        {"traceparent": good},  # sampled: made directly
        {"traceparent": good[:-2] + "00"},  # unsampled
        {"traceparent": good[:-2] + "03", "ce_id": "e1", "ce_type": "crime.reported.v1"},  # among other headers
        {"traceparent": good, "tracestate": "vendor=x"},  # the propagators from here on
        {"traceparent": good, "baggage": "team=police"},
        {"traceparent": "00-00000000000000000000000000000000-b7ad6b7169203331-01"},
        {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"},
        {"traceparent": good + "-extra"},
        {"traceparent": "01" + good[2:] + "-extra"},  # a later version may carry more
        {"traceparent": " " + good},
        {"traceparent": good.upper()},
        {"traceparent": ""},
        {},
    ]
    key = context.create_key("kept")
    for within in (None, context.set_value(key, "request")):
        for carrier in carriers:
            ours, theirs = telemetry.remote_parent(carrier, within), propagate.extract(carrier, context=within)
            assert (
                trace.get_current_span(ours).get_span_context() == trace.get_current_span(theirs).get_span_context()
            ), carrier
            assert context.get_value(key, ours) == context.get_value(key, theirs), carrier
            assert baggage.get_all(ours) == baggage.get_all(theirs), carrier
    assert trace.get_current_span(telemetry.remote_parent({"traceparent": good})).get_span_context().is_remote
    only_trace_context = CompositePropagator([TraceContextTextMapPropagator()])
    monkeypatch.setattr(propagate, "get_global_textmap", lambda: only_trace_context)
    assert not telemetry._w3c_propagation()  # another propagator: it decides what a carrier means
