"""Inside an ambient transaction (a keyed request), each unit of work is a savepoint of its own: rolled back
alone on an error, never released one by one (the ambient commit releases them all)."""

from __future__ import annotations

import pytest
from wja_platform import db

pytestmark = pytest.mark.integration


class Refused(Exception):
    pass


async def test_a_failed_unit_rolls_back_only_its_part_and_no_release_is_sent(stack):
    pool = await db.create_pool(stack.new_database("savepoints"), min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE t (v text PRIMARY KEY)")
            sent: list[str] = []
            conn.add_query_logger(lambda q: sent.append(q.query))
            async with conn.transaction():
                with db.ambient(conn):
                    async with db.transaction(pool) as c:
                        await c.execute("INSERT INTO t VALUES ('kept before')")
                    with pytest.raises(Refused):
                        async with db.transaction(pool) as c:
                            await c.execute("INSERT INTO t VALUES ('undone')")
                            raise Refused
                    with pytest.raises(Refused):  # a unit inside a unit: the outer undoes both
                        async with db.transaction(pool) as outer:
                            await outer.execute("INSERT INTO t VALUES ('outer undone')")
                            with pytest.raises(Refused):
                                async with db.transaction(pool) as inner:
                                    await inner.execute("INSERT INTO t VALUES ('inner undone')")
                                    raise Refused
                            await outer.execute("INSERT INTO t VALUES ('outer, after the inner')")
                            raise Refused
                    with pytest.raises(Exception, match="duplicate key"):  # a database error: the transaction goes on
                        async with db.transaction(pool) as c:
                            await c.execute("INSERT INTO t VALUES ('kept before')")
                    async with db.transaction(pool) as c:
                        await c.execute("INSERT INTO t VALUES ('kept after')")
            assert sorted(r["v"] for r in await conn.fetch("SELECT v FROM t")) == ["kept after", "kept before"]
            assert not [q for q in sent if q.upper().startswith("RELEASE")]
            assert len([q for q in sent if q.upper().startswith("SAVEPOINT")]) == 6
    finally:
        await pool.close()


async def test_a_connection_lent_outside_a_transaction_gets_a_transaction_of_its_own(stack):
    """Intake lends one connection to a report's steps (the URN counter commits alone, then the report)."""
    pool = await db.create_pool(stack.new_database("savepoints_lent"), min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE t (v text PRIMARY KEY)")
            with db.ambient(conn):
                async with db.transaction(pool) as c:
                    await c.execute("INSERT INTO t VALUES ('committed alone')")
                assert not conn.is_in_transaction()
                with pytest.raises(Refused):
                    async with db.transaction(pool) as c:
                        await c.execute("INSERT INTO t VALUES ('rolled back')")
                        raise Refused
            assert [r["v"] for r in await conn.fetch("SELECT v FROM t")] == ["committed alone"]
    finally:
        await pool.close()
