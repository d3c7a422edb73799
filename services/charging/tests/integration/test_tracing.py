"""Charging's spans: a request is its server span and one span per transaction or read, not one per statement."""

from __future__ import annotations

import uuid

import pytest
from wja_cli.testing import exported_spans, server_spans

pytestmark = pytest.mark.integration
STATEMENTS = {"BEGIN;", "COMMIT;", "ROLLBACK;", "INSERT", "SELECT", "UPDATE", "DELETE"}


def children_of(path: str, before: set[str]) -> tuple[dict, list[dict], set[str]]:
    """The one new server span of ``path``, its direct children, and the names of every span in its trace."""
    (server,) = [s for s in server_spans(path) if s["span_id"] not in before]
    spans = [s for s in exported_spans() if s["trace_id"] == server["trace_id"]]
    return server, [s for s in spans if s["parent_id"] == server["span_id"]], {s["name"] for s in spans}


def seen(path: str) -> set[str]:
    return {s["span_id"] for s in server_spans(path)}


async def test_a_decision_is_one_transaction_span_a_keyed_one_too_and_the_trace_goes_on(charging):
    for keyed in (False, True):
        urn = await charging.file()
        path = f"/v1/cases/{urn}/decisions"
        before = seen(path)
        key = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
        body = {"decision": "charge", "test": "full_code", "charges": [{"offence_code": "abh"}], "reason": "r"}
        r = await charging.client.post(path, json=body, headers=charging.h() | key)
        assert r.status_code == 200, r.text
        server, children, names = children_of(path, before)
        assert [s["name"] for s in children] == ["charging.transaction"]
        assert not STATEMENTS & names
        (tx,) = children
        assert tx["status"] == "UNSET" and tx["attributes"]["wja.case.urn"] == urn
        headers = await charging.pool.fetchval("SELECT headers FROM outbox WHERE urn = $1", urn)
        assert f"{server['trace_id']}-{tx['span_id']}" in str(headers)


async def test_reading_a_file_is_one_read_span(charging):
    urn = await charging.file()
    path = f"/v1/cases/{urn}"
    before = seen(path)
    r = await charging.client.get(path, headers=charging.h())
    assert r.status_code == 200, r.text
    _, children, names = children_of(path, before)
    assert [(s["name"], s["status"]) for s in children] == [("charging.read", "UNSET")]
    assert not STATEMENTS & names
