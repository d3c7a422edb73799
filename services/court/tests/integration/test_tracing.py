"""Court's spans: a request is its server span and one span per transaction or read, not one per statement."""

from __future__ import annotations

import pytest
from wja_cli.testing import STATEMENT_SPANS, one_transaction_span, request_spans, server_span_ids

pytestmark = pytest.mark.integration


async def test_a_hearing_result_is_one_transaction_span(court):
    await court.session(29, capacity=5)
    urn = await court.charge()
    hearing = (await court.hearings(urn))[0]
    path = f"/v1/hearings/{hearing['hearing_id']}/result"
    before = server_span_ids(path)
    r = await court.client.post(path, json={"result": "guilty_plea"}, headers=court.h() | {"Idempotency-Key": "k1"})
    assert r.status_code == 200, r.text
    _, tx = one_transaction_span(path, before, "court.transaction", urn)
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
        before = server_span_ids(path)
        r = await court.client.get(path, headers=court.h())
        assert r.status_code == status, r.text
        _, children, names = request_spans(path, before)
        assert [(s["name"], s["status"]) for s in children] == [("court.read", "UNSET")]
        assert not STATEMENT_SPANS & names
