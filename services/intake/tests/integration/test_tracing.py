"""Intake's spans: a request is its server span and one span per database transaction, not one per statement."""

from __future__ import annotations

import uuid

import pytest
from wja_cli.testing import exported_spans, server_spans

from .conftest import report

pytestmark = pytest.mark.integration

STATEMENTS = {"BEGIN;", "COMMIT;", "ROLLBACK;", "INSERT", "SELECT", "UPDATE", "DELETE"}


def in_trace(span: dict) -> list[dict]:
    return [s for s in exported_spans() if s["trace_id"] == span["trace_id"]]


def seen(path: str) -> set[str]:
    """The server spans of ``path`` exported so far (the span file is the test process's: other tests' intakes,
    each with its own database, hand out the same URNs)."""
    return {s["span_id"] for s in server_spans(path)}


def since(path: str, before: set[str]) -> list[dict]:
    return [s for s in server_spans(path) if s["span_id"] not in before]


async def test_a_report_is_its_request_span_and_one_span_per_transaction(intake):
    before = seen("/v1/reports")
    urn = await intake.new_case()
    (server,) = since("/v1/reports", before)
    assert server["attributes"].get("wja.case.urn") == urn
    spans = in_trace(server)
    children = sorted(s["name"] for s in spans if s["parent_id"] == server["span_id"])
    assert children == ["intake.transaction", "intake.urn_counter"]
    assert not STATEMENTS & {s["name"] for s in spans}
    (tx,) = [s for s in spans if s["name"] == "intake.transaction"]
    assert tx["kind"] == "CLIENT" and tx["status"] == "UNSET"
    assert all(s["attributes"].get("wja.case.urn") == urn for s in spans)  # the counter's span names the URN it gave
    rows = await intake.pool.fetch("SELECT headers FROM outbox WHERE urn = $1", urn)
    assert rows and all(f"{server['trace_id']}-{tx['span_id']}" in str(r["headers"]) for r in rows)  # the trace goes on


async def test_a_database_error_marks_the_transaction_span_with_its_type(intake):
    urn = await intake.new_case()
    await intake.pool.execute("UPDATE urn_counters SET last = last - 1")  # the next report gets the same URN

    def failed_transactions() -> list[dict]:
        return [s for s in exported_spans() if s["name"] == "intake.transaction" and s["status"] == "ERROR"]

    before = {s["span_id"] for s in failed_transactions()}
    r = await intake.client.post("/v1/reports", json=report(), headers=intake.h(force="01"))
    assert r.status_code == 500 and urn not in r.text
    failed = [s for s in failed_transactions() if s["span_id"] not in before]
    assert len(failed) == 1 and failed[0]["attributes"]["error.type"] == "UniqueViolationError"
    assert any(s["name"] == "POST /v1/reports" for s in in_trace(failed[0]))


async def test_a_refusal_inside_a_transaction_is_not_a_database_error(intake):
    urn = await intake.new_case()
    path = f"/v1/cases/{urn}/arrests"
    before = seen(path)
    r = await intake.client.post(path, json={"arrested_at": "2026-09-14T11:00:00Z"}, headers=intake.h(force="02"))
    assert r.status_code == 403
    (server,) = since(path, before)
    (tx,) = [s for s in in_trace(server) if s["name"] == "intake.transaction"]
    assert tx["status"] == "UNSET"


def statements(spans: list[dict]) -> list[str]:
    return [str(s["attributes"].get("db.statement") or s["attributes"].get("db.query.text")) for s in spans]


async def test_a_keyed_request_makes_no_span_per_statement_of_its_key_but_keeps_the_requests_own(intake):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = seen("/v1/reports")
    r = await intake.client.post("/v1/reports", json=report(), headers=intake.h(force="01") | key)
    assert r.status_code == 201
    (server,) = since("/v1/reports", before)
    assert server["attributes"].get("wja.case.urn") == r.json()["urn"]
    spans = in_trace(server)
    assert sorted(s["name"] for s in spans if s["parent_id"] == server["span_id"]) == [
        "intake.transaction",
        "intake.urn_counter",
    ]
    assert not STATEMENTS & {s["name"] for s in spans}
    # a route without a transaction span of its own keeps its statements' spans inside a keyed request
    replay = "/admin/dlq/replay"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = seen(replay)
    r = await intake.client.post(replay, json={}, headers=intake.h("police", "service") | key)
    assert r.status_code == 200, r.text
    (server,) = since(replay, before)
    queries = statements(in_trace(server))
    assert any("dead_letters" in q for q in queries) and not any("idempotency_keys" in q for q in queries)


async def test_reading_a_case_is_one_read_span_without_its_statements(intake):
    urn = await intake.new_case()
    path = f"/v1/cases/{urn}"
    before = seen(path)
    r = await intake.client.get(path, headers=intake.h(force="01"))
    assert r.status_code == 200, r.text
    (server,) = since(path, before)
    spans = in_trace(server)
    assert [(s["name"], s["status"]) for s in spans if s["parent_id"] == server["span_id"]] == [
        ("intake.read", "UNSET")
    ]
    assert not STATEMENTS & {s["name"] for s in spans}
