"""Court's spans: a request is its server span and one span per transaction or read, not one per statement."""

from __future__ import annotations

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


async def test_a_hearing_result_is_one_transaction_span(court):
    await court.session(29, capacity=5)
    urn = await court.charge()
    hearing = (await court.hearings(urn))[0]
    path = f"/v1/hearings/{hearing['hearing_id']}/result"
    before = seen(path)
    r = await court.client.post(path, json={"result": "guilty_plea"}, headers=court.h() | {"Idempotency-Key": "k1"})
    assert r.status_code == 200, r.text
    _, children, names = children_of(path, before)
    assert [s["name"] for s in children] == ["court.transaction"]
    assert not STATEMENTS & names
    (tx,) = children
    assert tx["status"] == "UNSET" and tx["attributes"]["wja.case.urn"] == urn
    rows = await court.pool.fetch(
        "SELECT headers FROM outbox WHERE urn = $1 AND headers::text LIKE $2", urn, f"%{tx['span_id']}%"
    )
    assert rows  # the events of the result carry the transaction span's context


async def test_reading_a_cases_hearings_is_one_read_span_and_a_404_is_not_a_database_error(court):
    await court.session(29, capacity=5)
    urn = await court.charge()
    await court.hearings(urn)
    for case, status in ((urn, 200), ("01ZZ9999926", 404)):
        path = f"/v1/cases/{case}/hearings"
        before = seen(path)
        r = await court.client.get(path, headers=court.h())
        assert r.status_code == status, r.text
        _, children, names = children_of(path, before)
        assert [(s["name"], s["status"]) for s in children] == [("court.read", "UNSET")]
        assert not STATEMENTS & names
