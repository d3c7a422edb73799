"""`wja dlq purge` erases a dead letter's payload everywhere this service keeps it, outbox included."""

from __future__ import annotations

import uuid

import pytest
from wja_cli.testing import eventually, serve_app, token, topic_records
from wja_platform.consumer import Record

from .conftest import group_suffix, probe_app, probe_settings

pytestmark = pytest.mark.integration

DLQ = "wja.probe.dlq.v1"


async def _all_published(pool) -> bool:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def _noop(conn, env) -> None:
    return None


async def test_purged_dead_letter_is_not_republished_after_a_broker_reset(stack):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, _noop)
    secret = f"payload-{uuid.uuid4().hex}".encode()
    kept = f"kept-{uuid.uuid4().hex}".encode()
    headers = (("ce_type", b"wja.intake.crime.reported.v1"), ("ce_id", b"p1"))
    poison = Record("wja.intake.case.v1", 0, 11, b"01YE0000126", b'{"not": json ' + secret, headers)
    other = Record("wja.intake.case.v1", 0, 12, b"01YE0000226", b'{"not": json ' + kept, headers)
    operator = token(settings.state_dir, "police", "service")
    async with serve_app(app) as client:
        runtime = app.state.runtime
        pool = runtime.pool
        await runtime.consumer.process([poison, other])
        await eventually(lambda: _all_published(pool))
        dead = {r["value"]: r["id"] for r in await pool.fetch("SELECT id, value FROM dead_letters")}
        assert len(dead) == 2

        answer = await client.post("/admin/dlq/purge", json={"ids": [dead[poison.value]]}, headers=operator)
        assert answer.status_code == 200
        assert answer.json() == {"purged": 1}

        stored = await pool.fetch("SELECT value FROM outbox WHERE topic = $1", DLQ)
        assert [bytes(r["value"]) for r in stored] == [other.value]
        assert await pool.fetchval("SELECT value FROM dead_letters WHERE id = $1", dead[poison.value]) is None

        # A new, empty broker: the relay republishes its whole outbox.
        await pool.execute("UPDATE relay_state SET value = 'an-earlier-cluster' WHERE name = 'cluster_id'")
        assert await runtime.relay.check_cluster()
        await eventually(lambda: _all_published(pool))

    on_topic = [r.value for r in await topic_records(stack.bootstrap, DLQ)]
    assert on_topic.count(other.value) == 2  # the kept one was sent again ...
    assert on_topic.count(poison.value) == 1  # ... the purged one only ever the first time


async def test_purging_again_is_a_no_op(stack):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, _noop)
    headers = (("ce_type", b"wja.intake.crime.reported.v1"), ("ce_id", b"p2"))
    poison = Record("wja.intake.case.v1", 0, 21, b"01YE0000326", b'{"not": json', headers)
    operator = token(settings.state_dir, "police", "service")
    async with serve_app(app) as client:
        await app.state.runtime.consumer.process([poison])
        first = await client.post("/admin/dlq/purge", json={"ids": None}, headers=operator)
        again = await client.post("/admin/dlq/purge", json={"ids": None}, headers=operator)
        pool = app.state.runtime.pool
        assert (first.json(), again.json()) == ({"purged": 1}, {"purged": 0})
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE topic = $1", DLQ) == 0
