"""The pool resets a connection given back only when it holds session state (issue 20: one round trip less
per transaction), and then fully: a relay that stops leaves neither its lock nor its LISTEN behind."""

from __future__ import annotations

import asyncio

from wja_platform import db
from wja_platform.relay import _RELAY_LOCK


async def test_a_plain_connection_goes_back_without_a_reset_round_trip(stack):
    pool = await db.create_pool(stack.new_database("reset_plain"), min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            await conn.execute("SELECT set_config('application_name', 'left-as-it-was', false)")
        async with pool.acquire() as conn:
            assert conn.get_server_pid() == pid  # the same connection (one in the pool)
            # asyncpg's default reset (RESET ALL) would have put the name back: no reset ran
            assert await conn.fetchval("SELECT current_setting('application_name')") == "left-as-it-was"
            await conn.execute("RESET application_name")
    finally:
        await pool.close()


async def test_a_connection_marked_as_holding_session_state_is_reset_fully(stack):
    dsn = stack.new_database("reset_marked")
    pool = await db.create_pool(dsn, min_size=1, max_size=1)
    other = await db.create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            db.holds_session_state(conn)
            assert await conn.fetchval("SELECT pg_try_advisory_lock(42)")
            await conn.execute("LISTEN somewhere")
            await conn.execute("SELECT set_config('application_name', 'to-be-reset', false)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_setting('application_name')") != "to-be-reset"
            assert await conn.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
        assert await other.fetchval("SELECT pg_try_advisory_lock(42)")  # the lock went with the reset
    finally:
        await pool.close()
        await other.close()


async def test_a_stopped_relay_leaves_its_lock_to_the_next(stack, producer):
    task = asyncio.create_task(producer.relay.run())
    try:
        for _ in range(200):
            if producer.relay.running:
                break
            await asyncio.sleep(0.05)
        assert producer.relay.running
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # The relay's connection is back in the pool; whichever connection the pool gives out now holds no lock,
    # listens to nothing, and another session can take the relay's lock.
    async with producer.pool.acquire() as conn:
        mine = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        assert await conn.fetchval(mine) == 0
        assert await conn.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
    async with producer.pool.acquire() as a, producer.pool.acquire() as b:
        assert await a.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK)
        await a.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK)
        assert await b.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK)
        await b.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK)
