"""A report takes one pooled connection for its URN and its transaction."""

from __future__ import annotations

import pytest
from wja_intake.adapters.repository import allocate_sequence
from wja_intake.adapters.unit_of_work import one_connection
from wja_platform import db

pytestmark = pytest.mark.integration


async def test_inside_one_connection_the_counter_and_the_transaction_share_it(intake):
    pool = intake.pool
    async with one_connection(pool):
        async with db.connection(pool) as first:
            pid = first.get_server_pid()
        seq = await allocate_sequence(pool, "01", "ZZ", 2026)
        assert not first.is_in_transaction()  # the counter committed on its own, before the transaction
        async with db.transaction(pool) as conn:
            assert conn.get_server_pid() == pid and conn.is_in_transaction()
            await conn.execute("UPDATE urn_counters SET last = last + 10 WHERE force_code = '01' AND unit = 'ZZ'")
        assert not conn.is_in_transaction()  # a transaction of its own, committed: not a savepoint
    async with pool.acquire() as other:
        last = await other.fetchval("SELECT last FROM urn_counters WHERE force_code = '01' AND unit = 'ZZ'")
    assert last == seq + 10


async def test_a_keyed_report_runs_whole_in_the_request_transaction(intake):
    async with intake.pool.acquire() as conn, conn.transaction():
        with db.ambient(conn):
            async with one_connection(intake.pool):
                await allocate_sequence(intake.pool, "01", "ZY", 2026)
                async with db.transaction(intake.pool) as inner:
                    assert inner is conn
            locks = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'transactionid'"
            )
            assert locks == 1  # the counter's row change belongs to the request's transaction, still open
