"""What a span file holds: one JSON object a line, in UTF-8, with the fields ``wja traces`` and the tests read."""

from __future__ import annotations

import json

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, StatusCode
from wja_platform import telemetry


def test_each_span_is_one_utf8_json_line_with_its_ids_times_status_plain_attributes_and_links(tmp_path):
    out = tmp_path / "spans.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.JsonLinesSpanExporter(out, "wja-test")))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("batch") as batch:
        pass
    with (
        tracer.start_as_current_span("parent") as parent,
        tracer.start_as_current_span(
            "apply",
            kind=SpanKind.CONSUMER,
            links=[Link(batch.get_span_context())],
            attributes={"wja.note": "Ysbyty Gwynedd — café", "n": 3, "ratio": 0.5, "ok": True, "codes": ("a", "b")},
        ) as child,
    ):
        child.set_status(StatusCode.ERROR, "HandlerError")
    provider.shutdown()
    raw = out.read_bytes()
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 3 and raw.endswith(b"\n")
    written = json.loads(lines[1])  # the child ends before its parent
    ctx = child.get_span_context()
    assert written == {
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_id": f"{parent.get_span_context().span_id:016x}",
        "name": "apply",
        "kind": "CONSUMER",
        "service": "wja-test",
        "start": child.start_time,
        "end": child.end_time,
        "status": "ERROR",
        "attributes": {"wja.note": "Ysbyty Gwynedd — café", "n": 3, "ratio": 0.5, "ok": True},  # a sequence is left out
        "links": [
            {
                "trace_id": f"{batch.get_span_context().trace_id:032x}",
                "span_id": f"{batch.get_span_context().span_id:016x}",
            }
        ],
    }
    assert json.loads(lines[0])["parent_id"] is None and json.loads(lines[0])["links"] == []
