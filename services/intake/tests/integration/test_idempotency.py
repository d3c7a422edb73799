"""Idempotency-Key on the police API: a retried POST has its effect once and gets the first answer."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from .conftest import report

pytestmark = pytest.mark.integration


async def count(intake, sql: str, *args) -> int:
    return await intake.pool.fetchval(sql, *args)


async def test_a_retried_report_mints_one_urn_and_replays_the_first_answer(intake):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = await count(intake, "SELECT count(*) FROM cases")
    first = await intake.client.post("/v1/reports", json=report(), headers=intake.h(force="01") | key)
    again = await intake.client.post("/v1/reports", json=report(), headers=intake.h(force="01") | key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await count(intake, "SELECT count(*) FROM cases") == before + 1
    urn = first.json()["urn"]
    assert await count(intake, "SELECT count(*) FROM outbox WHERE urn = $1", urn) == 3


async def test_concurrent_requests_with_one_key_have_one_effect(intake):
    key = {"Idempotency-Key": f"burst-{uuid.uuid4()}"}
    before = await count(intake, "SELECT count(*) FROM cases")
    answers = await asyncio.gather(
        *(intake.client.post("/v1/reports", json=report(), headers=intake.h(force="01") | key) for _ in range(8))
    )
    assert {r.status_code for r in answers} == {201}
    assert len({r.json()["urn"] for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 7
    assert await count(intake, "SELECT count(*) FROM cases") == before + 1


async def test_a_key_reused_for_another_request_is_refused(intake):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    urn = await intake.new_case()
    first = await intake.client.post(
        f"/v1/cases/{urn}/arrests", json={"arrested_at": "2026-09-14T11:00:00Z"}, headers=intake.h() | key
    )
    assert first.status_code == 200
    other = await intake.client.post(
        f"/v1/cases/{urn}/arrests", json={"arrested_at": "2026-09-14T11:30:00Z"}, headers=intake.h() | key
    )
    assert other.status_code == 422
    assert "different request" in other.json()["message"]
    assert await count(intake, "SELECT count(*) FROM outbox WHERE urn = $1 AND ce_type LIKE '%arrested%'", urn) == 1


async def test_a_retry_that_would_now_be_refused_still_replays_the_first_answer(intake):
    # The retry runs before it finds its key taken: closing a closed case is a 409, yet the client that
    # never saw the first answer gets it, and nothing more is written.
    key = {"Idempotency-Key": str(uuid.uuid4())}
    urn = await intake.new_case()
    body = {"outcome_code": "15", "reason": "no further action"}
    first = await intake.client.post(f"/v1/cases/{urn}/closure", json=body, headers=intake.h() | key)
    again = await intake.client.post(f"/v1/cases/{urn}/closure", json=body, headers=intake.h() | key)
    unkeyed = await intake.client.post(f"/v1/cases/{urn}/closure", json=body, headers=intake.h())
    assert first.status_code == again.status_code == 200 and unkeyed.status_code == 409
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await count(intake, "SELECT count(*) FROM outbox WHERE urn = $1 AND ce_type LIKE '%closed%'", urn) == 1


async def test_keys_belong_to_their_caller(intake):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    a = await intake.client.post("/v1/reports", json=report(), headers=intake.h(sub="pc-a", force="01") | key)
    b = await intake.client.post("/v1/reports", json=report(), headers=intake.h(sub="pc-b", force="01") | key)
    assert a.status_code == b.status_code == 201
    assert a.json()["urn"] != b.json()["urn"]
    assert "idempotent-replayed" not in b.headers


async def test_a_refused_request_is_not_remembered_and_a_bad_key_is_a_400(intake):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    urn = await intake.new_case()
    early = await intake.client.post(f"/v1/cases/{urn}/closure", json={"outcome_code": "99"}, headers=intake.h() | key)
    assert early.status_code == 422
    assert await count(intake, "SELECT count(*) FROM idempotency_keys WHERE key = $1", key["Idempotency-Key"]) == 0
    bad = await intake.client.post(
        "/v1/reports", json=report(), headers=intake.h(force="01") | {"Idempotency-Key": "has space"}
    )
    assert bad.status_code == 400 and "Idempotency-Key" in bad.json()["message"]
    anonymous = await intake.client.post("/v1/reports", json=report(), headers=key)
    assert anonymous.status_code == 401


async def test_the_header_is_documented_on_every_post(intake):
    schema = (await intake.client.get("/openapi.json")).json()
    posts = [op for path in schema["paths"].values() for method, op in path.items() if method == "post"]
    assert posts and all(any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])) for op in posts)


async def test_old_answers_are_pruned(intake):
    from wja_platform import idempotency

    key = {"Idempotency-Key": str(uuid.uuid4())}
    await intake.client.post("/v1/reports", json=report(), headers=intake.h(force="01") | key)
    await intake.pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1", key["Idempotency-Key"]
    )
    assert await idempotency.prune(intake.pool, 24) >= 1
    assert await count(intake, "SELECT count(*) FROM idempotency_keys WHERE key = $1", key["Idempotency-Key"]) == 0


async def test_an_oversized_body_with_a_key_is_refused(intake):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    huge = await intake.client.post("/v1/reports", json={"x": "a" * 1_100_000}, headers=intake.h(force="01") | key)
    assert huge.status_code == 413 and "larger than" in huge.json()["message"]


async def test_more_keyed_reports_at_once_than_the_pool_has_connections_all_complete(intake):
    # Each keyed request holds one connection for its whole transaction; the URN sequence must be
    # taken on that connection, not a second one (that deadlocked the pool). The wait is a guard
    # against a hang, not a speed assertion.
    n = intake.settings.db_pool_max * 3
    answers = await asyncio.wait_for(
        asyncio.gather(
            *(
                intake.client.post(
                    "/v1/reports", json=report(), headers=intake.h(force="01") | {"Idempotency-Key": str(uuid.uuid4())}
                )
                for _ in range(n)
            )
        ),
        timeout=300,
    )
    assert [r.status_code for r in answers] == [201] * n
    assert len({r.json()["urn"] for r in answers}) == n
