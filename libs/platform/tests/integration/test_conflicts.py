"""A request whose transaction PostgreSQL aborts for a deadlock is a 503 to retry, never a 500.

Found by the fault suite on 3 December 2026: court's listing locks session rows in the order it finds them free, and
three requests met a deadlock with a discontinuance that freed sessions; each was a 500, and three journeys failed.
Here the deadlock is made on purpose, on the real PostgreSQL: the request locks row 1 and waits for row 2, which
another transaction holds and then asks for row 1. The first to wait is the one PostgreSQL aborts: the request.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from wja_cli.testing import eventually
from wja_platform import db, errors

pytestmark = pytest.mark.integration


async def test_a_request_aborted_for_a_deadlock_is_a_503_and_leaves_nothing(stack):
    dsn = stack.new_database("conflict")
    pool = await db.create_pool(dsn)
    other = await asyncpg.connect(dsn)
    try:
        await pool.execute("CREATE TABLE rows (id int PRIMARY KEY, v int NOT NULL)")
        await pool.execute("INSERT INTO rows VALUES (1, 0), (2, 0)")
        app = FastAPI()
        errors.install(app)

        @app.post("/both")
        async def both() -> None:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("UPDATE rows SET v = v + 1 WHERE id = 1")
                await conn.execute("UPDATE rows SET v = v + 1 WHERE id = 2")

        async def waiting() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"))

        transaction = other.transaction()
        await transaction.start()
        await other.execute("UPDATE rows SET v = v + 1 WHERE id = 2")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            request = asyncio.create_task(client.post("/both"))
            await eventually(waiting, timeout=10, step=0.02)  # the request holds row 1 and waits for row 2
            await other.execute("UPDATE rows SET v = v + 1 WHERE id = 1")  # the cycle: one of the two is aborted
            response = await request
        await transaction.commit()

        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.json()["message"] == "the database aborted this request for a conflict with another one; retry"
        rows = dict(await pool.fetch("SELECT id, v FROM rows"))
        assert rows == {1: 1, 2: 1}, rows  # the other transaction's; nothing of the request's
    finally:
        await other.close()
        await pool.close()
