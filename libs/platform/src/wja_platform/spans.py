"""Span contexts made without the SDK's tracer: the W3C ``traceparent`` read directly, new span ids (issue 20)."""

from __future__ import annotations

import re

from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
"""A version-00 W3C ``traceparent``: trace id, parent span id, flags."""
NO_TRACE_ID, NO_SPAN_ID = "0" * 32, "0" * 16
_span_ids = RandomIdGenerator()


def new_span_id() -> int:
    """A new span id, as the SDK's default id generator makes it."""
    return _span_ids.generate_span_id()
