"""One case's journey is one connected graph of spans across the four services."""

from __future__ import annotations

import time

import pytest
from wja_cli import traces

from .test_journeys import Journey

pytestmark = pytest.mark.e2e


def test_a_case_is_traced_across_all_four_services(system):
    j = Journey(system)
    urn = j.report()
    j.request_charge()
    j.charge()
    j.hearing("first_hearing")
    j.timeline("wja.court.hearing.listed.v1", "wja.support.idva.assigned.v1")
    trace_dir = system.stack.state_dir / "traces"
    deadline = time.monotonic() + 10
    while True:  # span files are flushed within a second
        spans = traces.case_spans(traces.load_spans(trace_dir), urn)
        services = traces.services_in(spans)
        if {"wja-intake", "wja-charging", "wja-court", "wja-support"} <= services or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert {"wja-intake", "wja-charging", "wja-court", "wja-support"} <= services
    names = {s["name"] for s in spans}
    assert any(n.startswith("POST /v1/reports") for n in names), names
    assert any(n.startswith("send wja.intake.case.v1") for n in names)
    assert any("apply wja.intake.charging.requested.v1" in n for n in names)
    applies = [s for s in spans if ".apply " in s["name"]]
    assert applies and all(s["kind"] == "CONSUMER" for s in applies)
    for span in applies:  # OpenTelemetry messaging conventions: operation, destination, group, key
        attrs = span["attributes"]
        assert attrs["messaging.operation.type"] == "process" and attrs["messaging.destination.name"]
        assert attrs["messaging.consumer.group.name"].startswith("wja-")
        assert attrs["messaging.kafka.message.key"] == urn
    hops = [s for s in spans if s["name"].startswith(("send ", "intake.", "charging.", "court.", "support."))]
    assert hops and all(s["attributes"].get("wja.case.urn") == urn for s in hops if "transaction" not in s["name"])
    report_trace = next(s["trace_id"] for s in spans if s["name"].startswith("POST /v1/reports"))
    in_report_trace = {s["service"] for s in spans if s["trace_id"] == report_trace}
    assert {"wja-intake", "wja-support"} <= in_report_trace  # crime.reported reached support in the same trace
    trees = traces.build_trees(spans)
    assert trees
