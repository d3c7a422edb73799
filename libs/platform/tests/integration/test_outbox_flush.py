"""Buffered outbox rows go in one statement: in the order they were added, each under its URN's lock, with
the relay's notification sent at commit (issue 20: three round trips a batch became one)."""

from __future__ import annotations

import asyncio

import pytest
from wja_platform import db, outbox
from wja_schemas import new_envelope

from .conftest import crime, new_urn

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(stack):
    pool = await db.create_pool(stack.new_database("flush"))
    await db.migrate(pool, [])
    yield pool
    await pool.close()


async def test_a_flush_is_one_statement_in_added_order_and_notifies_at_commit(pool):
    a, b = new_urn(900), new_urn(901)
    envelopes = [new_envelope(crime(urn)) for urn in (b, a, b, a, a)]
    heard: list[str] = []
    async with pool.acquire() as listener:

        def hear(*args: object) -> None:
            heard.append(str(args[2]))

        await listener.add_listener(outbox.NOTIFY_CHANNEL, hear)
        async with pool.acquire() as conn:
            sent: list[str] = []
            conn.add_query_logger(lambda q: sent.append(q.query))
            async with conn.transaction():
                with outbox.buffered() as rows:
                    for env in envelopes:
                        await outbox.add(conn, env)
                    assert len(rows) == 5 and not sent  # buffered: nothing written yet
                    await outbox.flush(conn, rows)
                    assert rows == []
                await asyncio.sleep(0.2)
                assert heard == []  # a notification goes at commit
        await asyncio.sleep(0.2)
        await listener.remove_listener(outbox.NOTIFY_CHANNEL, hear)
        assert heard == [outbox.NOTIFY_CHANNEL]
    assert [q for q in sent if any(w in q for w in ("outbox", "advisory", "notify"))] == [outbox._FLUSH]
    stored = await pool.fetch("SELECT ce_id, urn, headers FROM outbox ORDER BY id")
    assert [r["ce_id"] for r in stored] == [env.id for env in envelopes]
    assert [r["urn"] for r in stored] == [b, a, b, a, a]
    assert dict(map(tuple, stored[0]["headers"]))["ce_id"] == envelopes[0].id


async def test_a_flush_waits_for_another_transaction_holding_one_of_its_urns(pool):
    """Rows of one URN get their ids in commit order: a flush that shares a URN with an open transaction's
    rows waits for it, so its rows come after them."""
    a, b = new_urn(910), new_urn(911)
    async with pool.acquire() as first, pool.acquire() as second:
        tx = first.transaction()
        await tx.start()
        await outbox.add(first, new_envelope(crime(a)))  # holds a's lock until it commits
        async with second.transaction():
            with outbox.buffered() as rows:
                await outbox.add(second, new_envelope(crime(b)))
                await outbox.add(second, new_envelope(crime(a)))
                flushing = asyncio.create_task(outbox.flush(second, rows))
                await asyncio.sleep(0.3)
                assert not flushing.done()  # waiting for a's lock
                await tx.commit()
                await flushing
    stored = [r["urn"] for r in await pool.fetch("SELECT urn FROM outbox ORDER BY id")]
    assert stored == [a, b, a]
