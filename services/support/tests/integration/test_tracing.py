"""Support's spans: a request is its server span and one span per transaction or read, not one per statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from wja_cli.testing import exported_spans, server_spans
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration
STATEMENTS = {"BEGIN;", "COMMIT;", "ROLLBACK;", "INSERT", "SELECT", "UPDATE", "DELETE"}


def children_of(path: str, before: set[str]) -> tuple[dict, list[dict], set[str]]:
    """The one new server span of ``path``, its direct children, and the names of every span in its trace."""
    (server,) = [s for s in server_spans(path) if s["span_id"] not in before]
    spans = [s for s in exported_spans() if s["trace_id"] == server["trace_id"]]
    return server, [s for s in spans if s["parent_id"] == server["span_id"]], {s["name"] for s in spans}


def ev(ce_type, urn, **fields):
    return new_envelope(example(ce_type, urn=urn, **fields))


def seen(path: str) -> set[str]:
    return {s["span_id"] for s in server_spans(path)}


async def test_the_timeline_is_one_read_span_and_telling_the_victim_one_transaction_span(support):
    urn = support.urn()
    case = await support.referred(urn)
    await support.send(ev("wja.intake.suspect.arrested.v1", urn, arrested_at=datetime(2026, 9, 14, 9, tzinfo=UTC)))
    body = await support.timeline(urn, case["idva"], wait_for=lambda b: len(b["entries"]) >= 4)
    path = f"/v1/cases/{urn}/timeline"
    before = seen(path)
    r = await support.client.get(path, headers=support.h(sub=case["idva"]))
    assert r.status_code == 200, r.text
    _, children, names = children_of(path, before)
    assert [(s["name"], s["status"]) for s in children] == [("support.read", "UNSET")]
    assert not STATEMENTS & names
    arrest = next(e for e in body["entries"] if e["event_type"] == "wja.intake.suspect.arrested.v1")
    contact = {"about": [arrest["id"]], "channel": "phone", "at": "2026-09-14T12:00:00Z"}
    path = f"/v1/cases/{urn}/contacts"
    before = seen(path)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    r = await support.client.post(path, json=contact, headers=support.h(sub=case["idva"]) | key)
    assert r.status_code == 200, r.text
    _, children, names = children_of(path, before)
    assert [(s["name"], s["status"]) for s in children] == [("support.transaction", "UNSET")]
    assert not STATEMENTS & names
