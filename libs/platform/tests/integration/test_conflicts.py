"""A request whose transaction PostgreSQL aborts for a deadlock is a 503 to retry, never a 500.

Found by the fault suite on 3 December 2026: court's listing locks session rows in the order it finds them free, and
three requests met a deadlock with a discontinuance that freed sessions; each was a 500, and three journeys failed.
Here the deadlock is made on purpose, on the real PostgreSQL: the request locks row 1 and waits for row 2, which
another transaction holds and then asks for row 1. The first to wait is the one PostgreSQL aborts: the request.
A request without an ``Idempotency-Key`` gets the 503; one with a key is run again by the server first.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from wja_cli.testing import eventually, serve_app, token
from wja_platform import db, errors, idempotency
from wja_platform.app import ServiceSpec, make_app

from .conftest import SQL, apply_probe, probe_settings

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
        assert response.json()["message"] == errors.CONFLICT_MESSAGE
        rows = dict(await pool.fetch("SELECT id, v FROM rows"))
        assert rows == {1: 1, 2: 1}, rows  # the other transaction's; nothing of the request's
    finally:
        await other.close()
        await pool.close()


@dataclass
class Keyed:
    """A probe service with one route, ``POST /run``, that runs a body in the request's transaction."""

    app: Any
    auth: dict[str, str]
    runs: int = 0


def _keyed_app(stack, name: str, body) -> Keyed:
    """:class:`Keyed` running ``body(conn)`` in :func:`db.transaction` (the ambient one of a keyed request)."""
    settings = probe_settings(stack, stack.new_database(name))
    router = APIRouter()

    @router.post("/run")
    async def run(request: Request) -> dict[str, str]:
        keyed.runs += 1
        async with db.transaction(request.app.state.runtime.pool) as conn:
            await body(conn)
        return {"status": "done"}

    app = make_app(ServiceSpec(settings=settings, migrations=SQL, handler=apply_probe, routers=[router]))
    keyed = Keyed(app, token(settings.state_dir, "police", "officer"))
    return keyed


async def test_a_keyed_request_aborted_for_a_deadlock_is_run_again_and_answered(stack):
    """With an ``Idempotency-Key`` the middleware owns the request's transaction, so it runs an aborted request
    again itself (PostgreSQL's advice), and the caller gets the answer, not a 503."""

    async def both(conn) -> None:
        await conn.execute("UPDATE rows SET v = v + 1 WHERE id = 1")
        await conn.execute("UPDATE rows SET v = v + 1 WHERE id = 2")

    keyed = _keyed_app(stack, "conflict_keyed", both)
    async with serve_app(keyed.app) as client:
        pool = keyed.app.state.runtime.pool
        await pool.execute(
            "CREATE TABLE rows (id int PRIMARY KEY, v int NOT NULL); INSERT INTO rows VALUES (1,0),(2,0)"
        )
        other = await pool.acquire()
        try:
            transaction = other.transaction()
            await transaction.start()
            await other.execute("UPDATE rows SET v = v + 1 WHERE id = 2")
            key = {"Idempotency-Key": "deadlocked-once"}
            request = asyncio.create_task(client.post("/run", headers=keyed.auth | key))
            await eventually(lambda: _waiting(pool), timeout=10, step=0.02)
            await other.execute("UPDATE rows SET v = v + 1 WHERE id = 1")  # the cycle: the request is aborted
            await transaction.commit()  # and its second run goes through
        finally:
            await pool.release(other)
        response = await request
        assert response.status_code == 200, response.text
        assert keyed.runs == 2
        assert dict(await pool.fetch("SELECT id, v FROM rows")) == {1: 2, 2: 2}  # the other's, then the request's
        again = await client.post("/run", headers=keyed.auth | key)
        assert again.headers["idempotent-replayed"] == "true"
        assert dict(await pool.fetch("SELECT id, v FROM rows")) == {1: 2, 2: 2}  # the replay was rolled back


async def test_a_keyed_request_aborted_every_time_is_a_503_after_its_runs(stack):
    async def always(conn) -> None:
        await conn.execute("SELECT 1")
        raise asyncpg.DeadlockDetectedError("deadlock detected")

    keyed = _keyed_app(stack, "conflict_always", always)
    async with serve_app(keyed.app) as client:
        response = await client.post("/run", headers=keyed.auth | {"Idempotency-Key": "never"})
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.json()["message"] == errors.CONFLICT_MESSAGE
        assert keyed.runs == idempotency.CONFLICT_RUNS == 3
        assert not await keyed.app.state.runtime.pool.fetchval("SELECT count(*) FROM idempotency_keys")


async def _waiting(pool) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"))
