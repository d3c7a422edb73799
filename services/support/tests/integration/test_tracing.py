"""Support's spans: a request is its server span and one span per transaction or read, not one per statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from wja_cli.testing import STATEMENT_SPANS, request_spans, server_span_ids
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration


def ev(ce_type, urn, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


async def test_the_timeline_is_one_read_span_and_telling_the_victim_one_transaction_span(support):
    urn = support.urn()
    case = await support.referred(urn)
    await support.send(ev("wja.intake.suspect.arrested.v1", urn, arrested_at=datetime(2026, 9, 14, 9, tzinfo=UTC)))
    body = await support.timeline(urn, case["idva"], wait_for=lambda b: len(b["entries"]) >= 4)
    path = f"/v1/cases/{urn}/timeline"
    before = server_span_ids(path)
    r = await support.client.get(path, headers=support.h(sub=case["idva"]))
    assert r.status_code == 200, r.text
    _, children, names = request_spans(path, before)
    assert [(s["name"], s["status"]) for s in children] == [("support.read", "UNSET")]
    assert not STATEMENT_SPANS & names
    arrest = next(e for e in body["entries"] if e["event_type"] == "wja.intake.suspect.arrested.v1")
    contact = {"about": [arrest["id"]], "channel": "phone", "at": "2026-09-14T12:00:00Z"}
    path = f"/v1/cases/{urn}/contacts"
    before = server_span_ids(path)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    r = await support.client.post(path, json=contact, headers=support.h(sub=case["idva"]) | key)
    assert r.status_code == 200, r.text
    _, children, names = request_spans(path, before)
    assert [(s["name"], s["status"]) for s in children] == [("support.transaction", "UNSET")]
    assert not STATEMENT_SPANS & names
