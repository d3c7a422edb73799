"""The outbox, relay, inbox, parking and dead letters on the real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from wja_cli.testing import eventually, serve_app
from wja_platform import outbox
from wja_platform.consumer import NotReady, Record
from wja_schemas import new_envelope
from wja_schemas.intake import CrimeReported

from .conftest import consumer_state, crime, group_suffix, new_urn, probe_app, probe_settings

pytestmark = pytest.mark.integration


async def applied(app, urns=None) -> list[tuple[str, str]]:
    pool = app.state.runtime.pool
    rows = await pool.fetch("SELECT event_key, urn FROM applied ORDER BY seq")
    return [(r["event_key"], r["urn"]) for r in rows if urns is None or r["urn"] in urns]


async def record_handler(conn, env):
    if not isinstance(env.payload, CrimeReported):  # other tests' events on the shared topic
        return
    name = env.payload.suspect.name
    if name == "always-fails":
        raise ValueError("boom with a value that must not be stored")
    if name == "deadlocks-4-times" and CONFLICTS_MET.setdefault(env.subject, 0) < 4:
        CONFLICTS_MET[env.subject] += 1  # as PostgreSQL aborts one of two transactions waiting for each other
        raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
    if name == "needs-ready":
        ready = await conn.fetchval("SELECT 1 FROM applied WHERE urn = $1 AND event_key LIKE 'ready%'", env.subject)
        if not ready:
            raise NotReady("case not known yet")
    await conn.execute("INSERT INTO applied (event_key, urn) VALUES ($1, $2)", env.idempotency_key, env.subject)


CONFLICTS_MET: dict[str, int] = {}


async def write(producer, envelopes) -> None:
    async with producer.pool.acquire() as conn, conn.transaction():
        for env in envelopes:
            await outbox.add(conn, env)


async def test_relay_keeps_order_per_key_and_consumer_applies_each_once(stack, producer):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    urns = [new_urn(100 + i) for i in range(5)]
    envs = [new_envelope(crime(urns[i % 5])) for i in range(100)]
    async with serve_app(app):
        for chunk in range(0, 100, 10):
            await write(producer, envs[chunk : chunk + 10])
        assert await producer.relay.drain() == 100
        await eventually(lambda: _count(app, urns, 100))
        got = await applied(app, set(urns))
        for urn in urns:
            assert [k for k, u in got if u == urn] == [e.idempotency_key for e in envs if e.subject == urn]


async def _count(app, urns, n):
    return len(await applied(app, set(urns))) >= n


async def test_crash_between_publish_and_mark_delivers_again_and_applies_once(stack, producer):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    urn = new_urn(200)
    envs = [new_envelope(crime(urn)) for _ in range(3)]
    await write(producer, envs)
    rows = await producer.pool.fetch(
        "SELECT id, topic, urn, value, headers FROM outbox WHERE urn = $1 ORDER BY id", urn
    )
    await producer.relay._publish(rows)  # published, then the process "dies" before marking
    async with serve_app(app):
        assert await producer.relay.drain() == 3  # after restart the relay sends them again
        await eventually(lambda: _count(app, {urn}, 3))
        await asyncio.sleep(0.5)
        assert [k for k, _ in await applied(app, {urn})] == [e.idempotency_key for e in envs]
        dupes = await app.state.runtime.pool.fetchval("SELECT count(*) FROM inbox WHERE urn = $1", urn)
        assert dupes == 3
    consumer = AIOKafkaConsumer(
        "wja.intake.case.v1",
        bootstrap_servers=stack.bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen = 0
        batches = await consumer.getmany(timeout_ms=2000)
        while batches:
            seen += sum(1 for msgs in batches.values() for m in msgs if m.key == urn.encode())
            batches = await consumer.getmany(timeout_ms=500)
    finally:
        await consumer.stop()
    assert seen == 6  # on the broker twice: the inbox absorbed the repeats


async def test_committed_but_unpublished_rows_are_delivered_by_a_new_relay(stack, producer):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    urn = new_urn(250)
    await write(producer, [new_envelope(crime(urn)) for _ in range(4)])
    unpublished = "SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"
    async with serve_app(app):
        relay_task = asyncio.create_task(producer.relay.run())  # a restarted process's relay
        try:
            await eventually(lambda: _count(app, {urn}, 4))
            # the relay marks rows published once the broker has them, which can be after the consumer applied them
            await eventually(lambda: producer.pool.fetchval(unpublished))
        finally:
            relay_task.cancel()


async def test_concurrent_writers_never_skip_rows(stack, producer):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    urns = [new_urn(300 + i) for i in range(20)]

    async def writer(urn: str) -> None:
        for _ in range(5):
            async with producer.pool.acquire() as conn, conn.transaction():
                await outbox.add(conn, new_envelope(crime(urn)))
                await asyncio.sleep(random.uniform(0, 0.02))  # commit order differs from id order

    async with serve_app(app):
        relay_task = asyncio.create_task(producer.relay.run())
        try:
            await asyncio.gather(*(writer(u) for u in urns))
            await eventually(lambda: _count(app, set(urns), 100))
        finally:
            relay_task.cancel()
        assert len(await applied(app, set(urns))) == 100
    assert await producer.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_poison_is_dead_lettered_and_the_stream_goes_on(stack, producer):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    urn_bad, urn_fail, urn_ok = new_urn(400), new_urn(401), new_urn(402)
    bad_value = b'{"urn": "' + urn_bad.encode() + b'", "not": json'
    headers = [
        ("ce_id", b"x1"),
        ("ce_source", b"/wja/intake"),
        ("ce_type", b"wja.intake.crime.reported.v1"),
        ("ce_specversion", b"1.0"),
        ("ce_subject", urn_bad.encode()),
    ]
    failing = crime(urn_fail).model_copy(
        update={"suspect": crime(urn_fail).suspect.model_copy(update={"name": "always-fails"})}
    )
    async with serve_app(app):
        await producer.kafka.send_and_wait("wja.intake.case.v1", bad_value, key=urn_bad.encode(), headers=headers)
        await write(producer, [new_envelope(failing), new_envelope(crime(urn_ok))])
        await producer.relay.drain()
        await eventually(lambda: _count(app, {urn_ok}, 1))
        pool = app.state.runtime.pool
        rows = await eventually(lambda: _dead(pool, 2))
        reasons = {r["urn"] or r["event_key"]: r for r in rows}
        assert any("poison: undecodable" in r["reason"] for r in rows)
        failed = next(r for r in rows if r["urn"] == urn_fail)
        assert failed["attempts"] == settings.consumer_max_attempts
        assert "must not be stored" not in failed["reason"]
        assert failed["topic"] == "wja.intake.case.v1" and failed["group_id"] == settings.group_id
        assert reasons
        published = await pool.fetch("SELECT topic FROM outbox WHERE topic = 'wja.probe.dlq.v1'")
        assert len(published) == 2


async def test_an_event_aborted_for_conflicts_more_often_than_its_attempts_is_applied_not_dead_lettered(
    stack, producer
):
    """A deadlock is not the event's failure: PostgreSQL aborted it for another transaction's sake. Before, the
    third in a row (``consumer_max_attempts``) dead-lettered it; now its batch is delivered again until it applies."""
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    urn = new_urn(403)
    event = crime(urn).model_copy(
        update={"suspect": crime(urn).suspect.model_copy(update={"name": "deadlocks-4-times"})}
    )
    async with serve_app(app):
        await write(producer, [new_envelope(event)])
        await producer.relay.drain()
        await eventually(lambda: _count(app, {urn}, 1), timeout=30)
        assert CONFLICTS_MET[urn] == 4
        assert await _dead(app.state.runtime.pool, 0, urn) == []
        assert settings.consumer_max_attempts < 4


async def test_poison_at_a_reused_offset_is_not_taken_for_the_earlier_one(stack, producer):
    """A new, empty broker numbers offsets from 0 again: a second poison record at an offset that
    an earlier one had is its own dead letter (not silently dropped); the same record again is not."""
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    headers = (("ce_type", b"wja.intake.crime.reported.v1"), ("ce_id", b"x1"))
    first = Record("wja.intake.case.v1", 0, 7, b"k", b'{"not": json', headers)
    same_place_other_bytes = Record("wja.intake.case.v1", 0, 7, b"k", b'{"also": not json', headers)
    async with serve_app(app):
        consumer = app.state.runtime.consumer
        await consumer.process([first])
        await consumer.process([first])  # redelivered (a batch rewound after a crash)
        await consumer.process([same_place_other_bytes])  # after a broker reset
        rows = await app.state.runtime.pool.fetch('SELECT value FROM dead_letters WHERE "offset" = 7 ORDER BY id')
    assert [r["value"] for r in rows] == [first.value, same_place_other_bytes.value]


async def _dead(pool, n, urn=None):
    rows = await pool.fetch("SELECT * FROM dead_letters WHERE $1::text IS NULL OR urn = $1 ORDER BY id", urn)
    return rows if len(rows) >= n else None


async def test_redelivery_has_no_second_effect(stack, producer):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    urn = new_urn(500)
    env = new_envelope(crime(urn))
    await write(producer, [env])
    async with serve_app(app):
        await producer.relay.drain()
        await producer.relay.republish()
        await producer.relay.drain()
        await eventually(lambda: _count(app, {urn}, 1))
        await asyncio.sleep(1.0)
        assert len(await applied(app, {urn})) == 1


async def test_parked_event_waits_for_its_case_then_applies_in_order(stack, producer):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = probe_app(settings, record_handler)
    urn = new_urn(600)
    base = crime(urn)
    waiting = new_envelope(base.model_copy(update={"suspect": base.suspect.model_copy(update={"name": "needs-ready"})}))
    behind = new_envelope(base)
    async with serve_app(app):
        await write(producer, [waiting, behind])
        await producer.relay.drain()
        pool = app.state.runtime.pool
        await eventually(lambda: _parked(pool, 2), explain=lambda: consumer_state(app))
        assert await applied(app, {urn}) == []
        async with pool.acquire() as conn:
            await conn.execute("INSERT INTO applied (event_key, urn) VALUES ('ready-1', $1)", urn)
        await eventually(lambda: _count(app, {urn}, 3), explain=lambda: consumer_state(app))
        keys = [k for k, _ in await applied(app, {urn})]
        assert keys == ["ready-1", waiting.idempotency_key, behind.idempotency_key]


async def _parked(pool, n):
    return await pool.fetchval("SELECT count(*) FROM parked") >= n


async def test_parking_timeout_dead_letters(stack, producer):
    settings = probe_settings(
        stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}", parking_timeout_seconds=0.5
    )
    app = probe_app(settings, record_handler)
    urn = new_urn(700)
    base = crime(urn)
    env = new_envelope(base.model_copy(update={"suspect": base.suspect.model_copy(update={"name": "needs-ready"})}))
    async with serve_app(app):
        await write(producer, [env])
        await producer.relay.drain()
        rows = await eventually(lambda: _dead(app.state.runtime.pool, 1, urn))
        assert rows[0]["reason"].startswith("parking timeout")
        assert await app.state.runtime.pool.fetchval("SELECT count(*) FROM parked WHERE urn = $1", urn) == 0


async def test_a_row_stored_when_dataschema_was_the_bare_type_goes_out_with_the_uri(stack, producer):
    """Outboxes are kept for good and replayed: a row stored before 2026-11-30 must go out current."""
    urn = new_urn(270)
    env = new_envelope(crime(urn))
    await write(producer, [env._replace(dataschema=env.type)])
    stored = await producer.pool.fetchval("SELECT headers FROM outbox WHERE urn = $1", urn)
    assert ["ce_dataschema", env.type] in [list(h) for h in stored]  # the old form, as an old release wrote it
    assert await producer.relay.drain() >= 1
    consumer = AIOKafkaConsumer(
        "wja.intake.case.v1",
        bootstrap_servers=stack.bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        ours = []
        batches = await consumer.getmany(timeout_ms=2000)
        while batches:
            ours += [m for msgs in batches.values() for m in msgs if m.key == urn.encode()]
            batches = await consumer.getmany(timeout_ms=500)
    finally:
        await consumer.stop()
    assert len(ours) == 1
    assert dict(ours[0].headers)["ce_dataschema"] == f"urn:wja:schema:{env.type}".encode()


async def test_a_service_freezes_its_heap_once_started(stack, monkeypatch):
    """Full collections need not walk what start-up made (wja_platform.heap): the app freezes it, at start-up."""
    from wja_platform import heap

    calls: list[bool] = []

    def freeze() -> bool:
        calls.append(bool(app.state.runtime.tasks))  # start-up done: the relay and consumer tasks run
        return False

    monkeypatch.setattr(heap, "freeze_startup_heap", freeze)
    app = probe_app(
        probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}"), record_handler
    )
    assert calls == []
    async with serve_app(app):
        assert calls == [True]


async def test_a_service_tunes_the_collector_once_started(stack):
    """The young generation waits for a batch's worth of live objects (wja_platform.heap.tune_collector)."""
    import gc

    from wja_platform import heap

    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])  # CPython's default, as a fresh process has it
    try:
        app = probe_app(
            probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}"), record_handler
        )
        assert gc.get_threshold()[0] == 700
        async with serve_app(app):
            assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
    finally:
        gc.set_threshold(*before)
