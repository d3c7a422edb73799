"""OpenTelemetry set-up in one place.

With any ``OTEL_EXPORTER_OTLP_*`` variable set, spans go to OTLP over HTTP; otherwise each
process appends its spans as JSON lines to ``<state_dir>/traces/<service>.jsonl``, flushed
within half a second, which ``wja trace <urn>`` renders. asyncpg spans never carry SQL
parameters; FastAPI and httpx are instrumented; Kafka spans come from the relay (a send span per
event) and the consumer (a span per batch transaction, one per event applied); the aiokafka
instrumentation is not enabled: it would duplicate them.

Sampling (``WJA_TRACE_SAMPLE_RATIO``, default 1: every trace, as tests need) is parent-based: the
service where a trace starts keeps that share of new traces and every later span, in any service,
follows its parent's decision (carried in ``traceparent``). Spans of unsampled traces are not recorded;
an error in one is still kept: :func:`keep_error` exports a span of its own for it, in the same trace.

Every exporter, file or OTLP, is wrapped in :class:`RedactingSpanExporter`: no span leaves the
process with a credential in it (a URL's sensitive query values, an ``Authorization`` or cookie
header, anything shaped like a JWT), whichever instrumentation set the attribute and whenever.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence, Set
from pathlib import Path
from typing import Any

import asyncpg
import pydantic_core
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import StatusCode
from opentelemetry.util.http import sanitize_method
from starlette._utils import get_route_path
from starlette.types import Scope

from wja_platform import clock, db, redact
from wja_platform.spans import install_provider, new_span_id, parse_traceparent, recorded_child

_configured = False
"""True once :func:`setup_telemetry` has installed the provider, whose :func:`sampler` is parent-based: a span under
an unsampled remote parent is then never recorded, and :func:`unsampled_span` may make it without the SDK."""
_span_file: Path | None = None
_case_urn: contextvars.ContextVar[str | None] = contextvars.ContextVar("wja_case_urn", default=None)
_enclosing: contextvars.ContextVar[trace.Span | None] = contextvars.ContextVar("wja_enclosing_span", default=None)
"""Inside a :func:`database_span`: the span that was current when it started (a request's server span)."""
_SCOPE = "wja_platform"
_tracer = trace.get_tracer(_SCOPE)
"""Got once (a proxy until :func:`setup_telemetry`): ``get_tracer`` on every database span was 0.5 % of a
service's CPU (it builds and compares an instrumentation scope, under a deprecation wrapper)."""
SIM_TIME_ATTRIBUTE = "wja.sim.time"
"""The span attribute that shows a span was made under a simulated time (:mod:`wja_platform.simtime`)."""


class CaseUrnSpanProcessor(SpanProcessor):
    """Stamps ``wja.case.urn`` on every span started while a case is being handled, and
    ``wja.sim.time`` on every span started under a simulated time."""

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        urn = _case_urn.get()
        if urn:
            span.set_attribute("wja.case.urn", urn)
        at = clock.simulated_time()
        if at is not None:
            span.set_attribute(SIM_TIME_ATTRIBUTE, at.isoformat().replace("+00:00", "Z"))


def attributes_of(span: ReadableSpan) -> Mapping[str, Any]:
    """A finished span's attributes as the plain dict the SDK keeps them in (iterating ``span.attributes``, a
    read-only view of a view, was a third of exporting a span); a copy if the SDK ever keeps them otherwise."""
    kept = getattr(span, "_attributes", None)
    if type(kept) is dict:  # a span made by :func:`spans.recorded_span`
        return kept
    kept = getattr(kept, "_dict", None)
    return kept if isinstance(kept, dict) else dict(span.attributes or {})


_PRIMITIVE = (str, int, float, bool)
"""The attribute values a line keeps (a tuple of types: ``isinstance`` with a union is several times slower)."""


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans to a JSON-lines file (one object per span)."""

    def __init__(self, path: Path, service: str) -> None:
        self.path = path
        self.service = service
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Append one JSON line a span, in UTF-8, written by pydantic-core (the standard library's encoder was a
        third of exporting a span, issue 20)."""
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            if ctx is None:
                continue
            lines.append(
                pydantic_core.to_json(
                    {
                        "trace_id": f"{ctx.trace_id:032x}",
                        "span_id": f"{ctx.span_id:016x}",
                        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
                        "name": span.name,
                        "kind": span.kind.name,
                        "service": self.service,
                        "start": span.start_time,
                        "end": span.end_time,
                        "status": span.status.status_code.name,
                        "attributes": {k: v for k, v in attributes_of(span).items() if isinstance(v, _PRIMITIVE)},
                        "links": [
                            {
                                "trace_id": f"{lk.context.trace_id:032x}",
                                "span_id": f"{lk.context.span_id:016x}",
                            }
                            for lk in span.links
                        ],
                    }
                )
            )
        with self._lock, self.path.open("ab") as fh:
            fh.write(b"".join(line + b"\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing to release: every export opens and closes the file."""


class RedactingSpanExporter(SpanExporter):
    """Hands ``inner`` copies of the spans with their attributes and events redacted (:func:`redact.attributes`)."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self._clean = _CleanTexts()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([span if self._clean.span(span) else redacted_span(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class _CleanTexts:
    """Texts that redaction was found to leave as they are, remembered so that a span made only of them is
    exported as it is: no copy, no regular expressions. Most spans are: SQL, span names, routes and hosts
    are the same few hundred strings on every request (the redaction was 14 % of intake's CPU, issue 20).

    Only texts redaction did not change are remembered; one it changed is redacted again every time, never
    kept. Attribute keys are remembered apart (a key may be redacted whatever its value). Bounded: the
    memory is dropped when full and learnt again.
    """

    SIZE = 4096

    def __init__(self) -> None:
        self._texts: dict[str, None] = {}
        self._keys: dict[str, None] = {}

    def span(self, span: ReadableSpan) -> bool:
        """True when redacting ``span`` would change nothing."""
        return (
            self._text(span.name)
            and self._attributes(attributes_of(span))
            and all(self._attributes(event.attributes or {}) for event in span.events)
        )

    def _attributes(self, attrs: Mapping[str, Any]) -> bool:
        keys = self._keys
        for key, value in attrs.items():
            if key not in keys:
                if redact.attributes({key: ""}) != {key: ""}:
                    return False
                self._remember(keys, key)
            if isinstance(value, str):
                if not self._text(value):
                    return False
            elif (
                isinstance(value, tuple | list)
                and all(isinstance(v, str) for v in value)
                and not all(self._text(v) for v in value)
            ):
                return False
        return True

    def _text(self, text: str) -> bool:
        if text in self._texts:
            return True
        if redact.text(text) != text:
            return False
        self._remember(self._texts, text)
        return True

    def _remember(self, seen: dict[str, None], text: str) -> None:
        if len(seen) >= self.SIZE:
            seen.clear()
        seen[text] = None


def redacted_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` whose attributes, event attributes and name hold no credential."""
    events = [Event(event.name, redact.attributes(event.attributes or {}), event.timestamp) for event in span.events]
    return ReadableSpan(
        name=redact.text(span.name),
        context=span.get_span_context(),
        parent=span.parent,
        resource=span.resource,
        attributes=redact.attributes(span.attributes or {}),
        events=events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def sampler(ratio: float) -> Sampler:
    """Parent-based: a trace's first service decides (a ``ratio`` of new traces), every later span follows.

    A span of an unsampled trace is not recorded at all (a no-op span: no attributes gathered, nothing
    exported), which is what makes sampling pay: recording every span and exporting only some saved 2.5 of
    the 14 ms of CPU that tracing costs a journey (issue 20). Errors are still kept: see :func:`keep_error`.
    """
    if ratio >= 1.0:
        return ParentBased(ALWAYS_ON)
    return ParentBased(TraceIdRatioBased(ratio))


def keep_error(
    error_type: str, name: str, *, span: trace.Span | None = None, tracer: trace.Tracer | None = None
) -> None:
    """An error in ``span`` (default: the current one). A recorded span is marked by its own code; one of an
    unsampled trace records nothing, so the error gets a span of its own, sampled and exported, in the same
    trace (its parent is the unrecorded span): errors are kept whatever the sample ratio."""
    span = span or trace.get_current_span()
    if span.is_recording():
        return
    parent = span.get_span_context()
    ctx = None
    if parent.is_valid:
        sampled = trace.SpanContext(
            parent.trace_id,
            parent.span_id,
            is_remote=False,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
            trace_state=parent.trace_state,
        )
        ctx = trace.set_span_in_context(trace.NonRecordingSpan(sampled))
    tracer = tracer or _tracer
    with tracer.start_as_current_span(name, context=ctx, attributes={"error.type": error_type}) as kept:
        kept.set_status(StatusCode.ERROR, error_type)


class UnsampledSpan(trace.NonRecordingSpan):
    """A span of an unsampled trace, made without the SDK (:func:`unsampled_span`). Its W3C ``traceparent``
    is written once, from the parent's text; its ``SpanContext`` is made only if something asks for it (an
    error kept in its trace, a span made current): most are only ended, and name themselves to what they cause.
    """

    def __init__(self, trace_hex: str, flags: int) -> None:
        self._trace_hex = trace_hex
        self._span_id = new_span_id()
        self._flags = flags
        self._made: trace.SpanContext | None = None
        self.traceparent = f"00-{trace_hex}-{self._span_id:016x}-{flags:02x}"
        """The header that names this span as the parent."""

    @property
    def _context(self) -> trace.SpanContext:  # type: ignore[override]  # NonRecordingSpan reads it
        made = self._made
        if made is None:
            made = self._made = trace.SpanContext(
                int(self._trace_hex, 16), self._span_id, is_remote=False, trace_flags=trace.TraceFlags(self._flags)
            )
        return made


def unsampled_span(carrier: Mapping[str, str]) -> UnsampledSpan | None:
    """The span the SDK would start under the remote parent in ``carrier`` (W3C headers) when that parent is
    valid and unsampled: the parent-based sampler records nothing there, so the SDK makes a non-recording span
    with the parent's trace id and a new span id. Made here directly (:class:`UnsampledSpan`), it costs about
    a tenth of extracting the context, asking the sampler and starting a span (issue 20: a consumer makes one
    per event, the relay one per record).

    None (start the span the usual way) for a sampled parent, no or a malformed parent, a ``tracestate`` (the
    SDK carries it over), or before :func:`setup_telemetry` (another sampler may be in use).
    """
    if not _configured or carrier.get("tracestate"):
        return None
    parsed = parse_traceparent(carrier.get("traceparent", ""))
    if parsed is None or parsed[2] & trace.TraceFlags.SAMPLED:
        return None
    return UnsampledSpan(parsed[0], parsed[2] & trace.TraceFlags.RANDOM_TRACE_ID)


_W3C_FIELDS = frozenset({"traceparent", "tracestate", "baggage"})
_textmap_is_w3c: tuple[object, bool] | None = None


def remote_parent(carrier: Mapping[str, str], context: otel_context.Context | None = None) -> otel_context.Context:
    """What ``propagate.extract(carrier, context)`` returns, made directly for the common case: the process
    propagates W3C trace context and baggage (OpenTelemetry's default) and the carrier holds a version-00
    ``traceparent`` alone, with no ``tracestate`` and no ``baggage``. The propagators' regular expressions,
    getters and context copies were a third of starting a consumer span (issue 20). Anything else goes to them."""
    if carrier.get("tracestate") is None and carrier.get("baggage") is None and _w3c_propagation():
        parsed = parse_traceparent(carrier.get("traceparent") or "")
        if parsed is not None:
            trace_hex, span_hex, bits = parsed
            parent = trace.SpanContext(
                int(trace_hex, 16), int(span_hex, 16), is_remote=True, trace_flags=trace.TraceFlags(bits)
            )
            base = context if context is not None else otel_context.Context()  # as the propagators start
            return trace.set_span_in_context(trace.NonRecordingSpan(parent), base)
    return propagate.extract(carrier, context=context)


def _w3c_propagation() -> bool:
    """True when the global propagator reads exactly W3C trace context and baggage (``OTEL_PROPAGATORS`` unset, or
    ``tracecontext,baggage``); worked out once for each propagator installed."""
    global _textmap_is_w3c  # noqa: PLW0603
    textmap = propagate.get_global_textmap()
    known = _textmap_is_w3c
    if known is None or known[0] is not textmap:
        known = _textmap_is_w3c = (textmap, set(textmap.fields) == _W3C_FIELDS)
    return known[1]


def traceparent(span: trace.Span) -> str:
    """The W3C ``traceparent`` header that names ``span`` as the parent (what injecting its context writes)."""
    if type(span) is UnsampledSpan:
        return span.traceparent
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"


def trace_headers(span: trace.Span) -> Mapping[str, str]:
    """The W3C headers that name ``span`` as the parent (what ``propagate.inject`` writes with it current)."""
    if type(span) is UnsampledSpan:  # no trace state, by its making
        return {"traceparent": span.traceparent}
    ctx = span.get_span_context()
    if not ctx.trace_state:
        return {"traceparent": traceparent(span)} if ctx.is_valid else {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


_injected: tuple[otel_context.Context, Mapping[str, str]] | None = None


def current_trace_headers() -> Mapping[str, str]:
    """The W3C headers that name the current span as the parent (what ``propagate.inject`` writes), remembered
    for the current context: the events of one request, or of one batch, share it (5 µs an event, issue 20)."""
    global _injected  # noqa: PLW0603
    current = otel_context.get_current()
    last = _injected
    if last is not None and last[0] is current:  # held here, so no other context can be this object
        return last[1]
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=current)
    _injected = (current, carrier)
    return carrier


def sample_ratio() -> float:
    """``WJA_TRACE_SAMPLE_RATIO`` (0 to 1; default 1: every trace)."""
    return min(1.0, max(0.0, float(os.environ.get("WJA_TRACE_SAMPLE_RATIO") or 1.0)))


def otlp_configured() -> bool:
    """True when the standard ``OTEL_EXPORTER_OTLP_*`` variables ask for OTLP export."""
    return any(k.startswith("OTEL_EXPORTER_OTLP_") for k in os.environ) or (
        os.environ.get("OTEL_TRACES_EXPORTER", "").lower() == "otlp"
    )


def setup_telemetry(service: str, trace_dir: Path) -> TracerProvider:
    """Install the tracer provider (once per process) and instrument asyncpg and httpx."""
    global _configured, _span_file  # noqa: PLW0603
    if _configured:
        return trace.get_tracer_provider()  # type: ignore[return-value]
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", f"wja-{service}")})
    provider = TracerProvider(resource=resource, sampler=sampler(sample_ratio()))
    provider.add_span_processor(CaseUrnSpanProcessor())
    if otlp_configured():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter: SpanExporter = OTLPSpanExporter()
    else:
        _span_file = trace_dir / f"{service}.jsonl"
        exporter = JsonLinesSpanExporter(_span_file, f"wja-{service}")
    provider.add_span_processor(BatchSpanProcessor(RedactingSpanExporter(exporter), schedule_delay_millis=500))
    trace.set_tracer_provider(provider)
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    AsyncPGInstrumentor(capture_parameters=False).instrument()
    HTTPXClientInstrumentor().instrument()  # url.full goes through redact_url, then our exporter
    _configured = True
    install_provider(provider)
    return provider


_ROUTES: weakref.WeakKeyDictionary[Any, list[tuple[re.Pattern[str], str, Set[str] | None]]] = (
    weakref.WeakKeyDictionary()
)


def route_span_details(scope: Scope) -> tuple[str, dict[str, str]]:
    """A request's server span name and ``http.route`` (``POST /v1/cases/{urn}/arrests``), as OpenTelemetry's
    FastAPI instrumentation names them, found by one regular expression per route.

    The instrumentation's own lookup calls every route's ``matches()`` (which builds a child scope and converts
    the path parameters of each) until one fits: 50-65 µs a request, before the request is even routed
    (issue 20). The same rule, on each route's path pattern: the first route whose path and method fit; else
    the last whose path fits (405 comes next); else no route. ``tests/conformance/test_span_names.py`` holds it
    to the instrumentation's answer for every route of every service.
    """
    app = scope["app"]
    routes = _ROUTES.get(app)
    if routes is None:
        from fastapi.routing import iter_route_contexts

        routes = [(c.path_regex, c.path, c.methods) for c in iter_route_contexts(app.routes)]
        _ROUTES[app] = routes
    path, method = get_route_path(scope), scope.get("method", "")
    route = None
    for pattern, template, methods in routes:
        if pattern.match(path):
            route = template
            if methods is None or method in methods:
                break
    method = sanitize_method(method.strip()) or ""
    if method == "_OTHER":
        method = "HTTP"
    if not route:
        return method, {}
    return (f"{method} {route}" if method else route), {HTTP_ROUTE: route}


def span_file() -> Path | None:
    """The file this process appends its spans to (None before set-up, or when exporting over OTLP)."""
    return _span_file


def flush(timeout_millis: int = 5000) -> bool:
    """Export every finished span now (tests read the span file right after)."""
    provider = trace.get_tracer_provider()
    return bool(getattr(provider, "force_flush", lambda _: True)(timeout_millis))


def set_case_urn(urn: str) -> contextvars.Token[str | None]:
    """Tag the current span, and every span started after it in this task, with the case URN.

    Call it on the HTTP server span as soon as the URN is known. Called inside a :func:`database_span` (a
    use case learning the URN from the hearing or review its path names), it tags the span the database
    work runs under too (the request's), not only the database span.
    """
    trace.get_current_span().set_attribute("wja.case.urn", urn)
    enclosing = _enclosing.get()
    if enclosing is not None:
        enclosing.set_attribute("wja.case.urn", urn)
    return _case_urn.set(urn)


def case_urn() -> str | None:
    """The case URN spans started now are tagged with (None: none)."""
    return _case_urn.get()


@contextlib.contextmanager
def case_scope() -> Iterator[None]:
    """Within the block :func:`set_case_urn` holds; after it, the case URN is what it was before.

    For a request: under uvicorn each request is a task of its own, but an in-process client (the tests'
    ASGI transport) runs its requests in the caller's context, where a URN tagged by one request would
    otherwise stay on the spans of the next.
    """
    token = _case_urn.set(_case_urn.get())
    try:
        yield
    finally:
        _case_urn.reset(token)


def reset_case_urn(token: contextvars.Token[str | None]) -> None:
    """Undo :func:`set_case_urn` (consumers do, between events)."""
    _case_urn.reset(token)


@contextlib.contextmanager
def database_span(name: str) -> Iterator[trace.Span]:
    """One span for a piece of database work (a transaction), instead of one per statement.

    The asyncpg instrumentation's per-statement spans are suppressed inside it, as the consumer does for a
    batch. Other instrumentation is suppressed too, so nothing inside may call another service; an outbox
    row written inside carries this span's context, so the trace goes on. A database error marks the span
    (status and ``error.type``, never the message: it may quote a value); a domain error (a 409, say) does
    not: the request's server span has the answer.
    """
    enclosing = trace.get_current_span()
    token = _enclosing.set(enclosing)
    attributes = {"db.system.name": "postgresql"}
    recorded = recorded_child(_SCOPE, name, enclosing, trace.SpanKind.CLIENT, attributes)  # 50 µs less a span
    with (
        trace.use_span(recorded, end_on_exit=True, record_exception=False, set_status_on_exception=False)
        if recorded is not None
        else _tracer.start_as_current_span(
            name,
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span,
        instrumentation_suppressed(),
    ):
        try:
            yield span
        except (asyncpg.PostgresError, *db.UNAVAILABLE) as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(StatusCode.ERROR, type(exc).__qualname__)
            keep_error(type(exc).__qualname__, f"{name} failed", span=span)
            raise
        finally:
            _enclosing.reset(token)


@contextlib.contextmanager
def instrumentation_suppressed(suppressed: bool = True) -> Iterator[None]:
    """No instrumentation makes spans inside (asyncpg's statements, httpx's calls); spans our code starts
    itself, such as :func:`database_span`'s, are still made. ``suppressed=False``: instrumentation is back on
    inside, within a suppressed block."""
    token = otel_context.attach(otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, suppressed))
    try:
        yield
    finally:
        otel_context.detach(token)
