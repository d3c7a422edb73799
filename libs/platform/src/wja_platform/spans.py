"""Recorded spans of sampled traces, made without the SDK's tracer (issue 20).

A consumer starts a span for every event it applies and the relay one for every record it sends, each a child
of the remote parent named by the record's ``traceparent``; every unit of work starts a database span under the
request's span. With every trace kept, the SDK's ``start_span`` and ``end`` took 55 to 66 µs a span on the bench
machine (2 December): the sampler, a ``BoundedAttributes`` that type-checks and copies every value under a lock,
two bounded lists, a second ``ReadableSpan`` copied at the end. :func:`recorded_span` (under a remote parent) and
:func:`recorded_child` (under a local one) make the same span directly, in the one case those spans are in: a
valid, sampled parent with no trace state, in a process whose provider :func:`telemetry.setup_telemetry`
installed (its sampler is parent-based, so such a parent is always followed). Anything else gets ``None``, and
the caller starts the span the usual way.

The span goes through the provider's span processors as the SDK's does (``on_start`` when made, ``on_end``
when ended; the file or OTLP exporter behind them, with its redaction, sees a ``ReadableSpan`` like any other).
Attribute values are kept as given: callers pass ``str``, ``int``, ``float`` or ``bool``, as OpenTelemetry
allows, and no more than a span's limit (128).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
"""A version-00 W3C ``traceparent``: trace id, parent span id, flags."""
_NO_TRACE_ID, _NO_SPAN_ID = "0" * 32, "0" * 16
_span_ids = RandomIdGenerator()
_UNSET = Status(StatusCode.UNSET)
_scopes: dict[str, InstrumentationScope] = {}
_provider: TracerProvider | None = None


def install_provider(provider: TracerProvider) -> None:
    """Called by :func:`telemetry.setup_telemetry` with the provider it installed: spans are made for it alone."""
    global _provider  # noqa: PLW0603
    _provider = provider


def new_span_id() -> int:
    """A new span id, as the SDK's default id generator makes it."""
    return _span_ids.generate_span_id()


def parse_traceparent(traceparent: str) -> tuple[str, str, int] | None:
    """A valid version-00 ``traceparent``'s trace id and parent span id (hex) and flags; None for any other text or
    an all-zero id."""
    match = _TRACEPARENT.fullmatch(traceparent)
    if match is None:
        return None
    trace_hex, parent_hex, flags = match.groups()
    if trace_hex == _NO_TRACE_ID or parent_hex == _NO_SPAN_ID:
        return None
    return trace_hex, parent_hex, int(flags, 16)


def sampled_parent(traceparent: str) -> SpanContext | None:
    """The remote parent a version-00 ``traceparent`` names, when it is valid and sampled; else None."""
    parsed = parse_traceparent(traceparent)
    if parsed is None or not parsed[2] & TraceFlags.SAMPLED:
        return None
    trace_hex, parent_hex, bits = parsed
    return SpanContext(int(trace_hex, 16), int(parent_hex, 16), is_remote=True, trace_flags=TraceFlags(bits))


class RecordedSpan(trace.Span, ReadableSpan):
    """A recording span that is its own ``ReadableSpan``: its attributes a plain dict, its events and links lists.

    Once ended it changes no more (as the SDK's: a late attribute, event or status is ignored), so the span
    processors are given the span itself, not a copy.
    """

    def __init__(  # the span's fields, as ReadableSpan's own
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext,
        kind: SpanKind,
        attributes: dict[str, Any],
        links: Sequence[Link],
        scope: InstrumentationScope,
        provider: TracerProvider,
        processor: SpanProcessor,
    ) -> None:
        # ReadableSpan.__init__ would make a Resource when given none: every field is set here instead
        self._name = name
        self._context = context
        self._parent = parent
        self._kind = kind
        self._attributes = attributes
        self._events: list[Event] = []
        self._links = list(links)
        self._resource = provider.resource
        self._instrumentation_info = None
        self._instrumentation_scope = scope
        self._status = _UNSET
        self._start_time = time.time_ns()
        self._end_time: int | None = None
        self._processor = processor
        processor.on_start(self, parent_context=None)  # type: ignore[arg-type]  # a span, if not the SDK's class

    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return self._end_time is None

    def set_attribute(self, key: str, value: Any) -> None:
        if self._end_time is None:
            self._attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if self._end_time is None:
            self._attributes.update(attributes)

    def add_event(self, name: str, attributes: Mapping[str, Any] | None = None, timestamp: int | None = None) -> None:
        if self._end_time is None:
            self._events.append(Event(name, dict(attributes or {}), timestamp))

    def add_link(self, context: SpanContext, attributes: Mapping[str, Any] | None = None) -> None:
        if self._end_time is None and context.is_valid:
            self._links.append(Link(context, attributes))

    def update_name(self, name: str) -> None:
        if self._end_time is None:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        """As the SDK's: an ``OK`` status stays, an ``UNSET`` one is ignored."""
        if self._end_time is not None or self._status.status_code is StatusCode.OK:
            return
        if isinstance(status, Status):
            if status.status_code is not StatusCode.UNSET:
                self._status = status
        elif status is not StatusCode.UNSET:
            self._status = Status(status, description)

    record_exception = Span.record_exception  # only calls add_event

    def __exit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: Any) -> None:
        """As the SDK's: an exception is recorded and sets the status, then the span ends."""
        if exc_val is not None and self.is_recording():
            self.record_exception(exc_val, escaped=True)
            self.set_status(Status(StatusCode.ERROR, f"{type(exc_val).__name__}: {exc_val}"))
        self.end()

    def end(self, end_time: int | None = None) -> None:
        if self._end_time is not None:
            return
        self._end_time = end_time if end_time is not None else time.time_ns()
        self._processor._on_ending(self)  # type: ignore[arg-type]  # as Span.end calls it
        self._processor.on_end(self)


def recorded_span(
    scope: str,
    name: str,
    carrier: Mapping[str, str],
    kind: SpanKind,
    attributes: dict[str, Any],
    links: Sequence[Link] | None = None,
) -> RecordedSpan | None:
    """The span ``trace.get_tracer(scope).start_span(name, context=<the remote parent in carrier>, kind=kind,
    attributes=attributes, links=links)`` would start, when that parent is valid and sampled, ``carrier`` has no
    ``tracestate`` and :func:`telemetry.setup_telemetry` installed the provider; else None. ``attributes`` is
    kept, not copied."""
    if _provider is None or carrier.get("tracestate"):
        return None
    parent = sampled_parent(carrier.get("traceparent", ""))
    return None if parent is None else _made(scope, name, parent, kind, attributes, links or ())


def recorded_child(
    scope: str, name: str, parent: trace.Span, kind: SpanKind, attributes: dict[str, Any]
) -> RecordedSpan | None:
    """The span ``trace.get_tracer(scope).start_span(name, kind=kind, attributes=attributes)`` would start with
    ``parent`` current, when ``parent``'s context is valid and sampled with no trace state and
    :func:`telemetry.setup_telemetry` installed the provider; else None."""
    context = parent.get_span_context()
    if _provider is None or not context.is_valid or not context.trace_flags.sampled or context.trace_state:
        return None
    return _made(scope, name, context, kind, attributes, ())


def _made(
    scope: str, name: str, parent: SpanContext, kind: SpanKind, attributes: dict[str, Any], links: Sequence[Link]
) -> RecordedSpan:
    """A span under a sampled parent: the parent-based sampler records it (every sampler this process installs
    is: :func:`telemetry.sampler`), with the parent's trace id and flags and a new span id."""
    assert _provider is not None
    flags = TraceFlags(TraceFlags.SAMPLED | (parent.trace_flags & TraceFlags.RANDOM_TRACE_ID))
    context = SpanContext(parent.trace_id, new_span_id(), is_remote=False, trace_flags=flags)
    made = _scopes.get(scope)
    if made is None:
        made = _scopes[scope] = InstrumentationScope(scope)
    processor = _provider._active_span_processor  # what the SDK's spans are given
    return RecordedSpan(name, context, parent, kind, attributes, links, made, _provider, processor)
