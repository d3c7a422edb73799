"""Charging's spans: a request is its server span and one span per transaction or read, not one per statement."""

from __future__ import annotations

import uuid

import pytest
from wja_cli.testing import STATEMENT_SPANS, one_transaction_span, request_spans, server_span_ids

pytestmark = pytest.mark.integration


async def test_a_decision_is_one_transaction_span_a_keyed_one_too_and_the_trace_goes_on(charging):
    for keyed in (False, True):
        urn = await charging.file()
        path = f"/v1/cases/{urn}/decisions"
        before = server_span_ids(path)
        key = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
        body = {"decision": "charge", "test": "full_code", "charges": [{"offence_code": "abh"}], "reason": "r"}
        r = await charging.client.post(path, json=body, headers=charging.h() | key)
        assert r.status_code == 200, r.text
        server, tx = one_transaction_span(path, before, "charging.transaction", urn)
        headers = await charging.pool.fetchval("SELECT headers FROM outbox WHERE urn = $1", urn)
        assert f"{server['trace_id']}-{tx['span_id']}" in str(headers)


async def test_reading_a_file_is_one_read_span(charging):
    urn = await charging.file()
    path = f"/v1/cases/{urn}"
    before = server_span_ids(path)
    r = await charging.client.get(path, headers=charging.h())
    assert r.status_code == 200, r.text
    _, children, names = request_spans(path, before)
    assert [(s["name"], s["status"]) for s in children] == [("charging.read", "UNSET")]
    assert not STATEMENT_SPANS & names
