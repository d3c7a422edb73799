"""A unit of work that only writes sends its writes and its events as one statement, atomic without BEGIN and
COMMIT (issue 20: intake's report made four round trips for it); it refuses reads, sends nothing when its block
fails, and runs inside a request's own transaction when there is one."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from opentelemetry import trace
from wja_cli.testing import exported_spans
from wja_platform import db, outbox, telemetry
from wja_platform.uow import OneStatementUnitOfWork

from .conftest import crime, new_urn, traced_pool

pytestmark = pytest.mark.integration


class Repo:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, urn: str, note: str) -> None:
        await self.conn.execute("INSERT INTO probe_case (urn) VALUES ($1)", urn)
        await self.conn.execute("INSERT INTO probe_note (urn, note, n) VALUES ($1, $2, $3)", urn, note, len(note))

    async def count(self) -> int:
        return int(await self.conn.fetchval("SELECT count(*) FROM probe_case"))


Repo.__module__ = "wja_probe.adapters.repository"  # as a service's repository is


TABLES = (
    "CREATE TABLE probe_case (urn text PRIMARY KEY);"
    " CREATE TABLE probe_note (urn text NOT NULL REFERENCES probe_case, note text NOT NULL, n integer NOT NULL)"
)


@pytest.fixture
async def pool(stack, tmp_path):
    async with traced_pool(stack, tmp_path, "onestatement", TABLES) as pool:
        yield pool


async def stored(pool: asyncpg.Pool, urn: str) -> tuple[list[str], list[str], list[str]]:
    cases = [r["urn"] for r in await pool.fetch("SELECT urn FROM probe_case WHERE urn = $1", urn)]
    notes = [r["note"] for r in await pool.fetch("SELECT note FROM probe_note WHERE urn = $1", urn)]
    events = [r["ce_type"] for r in await pool.fetch("SELECT ce_type FROM outbox WHERE urn = $1 ORDER BY id", urn)]
    return cases, notes, events


async def test_the_writes_and_the_events_go_as_one_statement_with_no_transaction(pool):
    urn = new_urn(9301)
    heard: list[str] = []
    async with pool.acquire() as listener, pool.acquire() as conn:

        def hear(*args: object) -> None:
            heard.append(str(args[2]))

        await listener.add_listener(outbox.NOTIFY_CHANNEL, hear)
        with db.ambient(conn):  # the unit of work takes this connection: what it sends is logged
            async with OneStatementUnitOfWork(pool, Repo) as uow:  # asyncpg learns the statement's types first
                await uow.repo.add(new_urn(9300), "warming up")
                await uow.publish(crime(new_urn(9300)))
            await asyncio.sleep(0.2)
            heard.clear()
            sent: list[str] = []
            conn.add_query_logger(lambda q: sent.append(q.query))
            async with OneStatementUnitOfWork(pool, Repo) as uow:
                await uow.repo.add(urn, "first note")
                await uow.publish(crime(urn))
                await uow.publish(crime(urn))
                await asyncio.sleep(0.05)  # asyncpg calls its query loggers soon, not at once
                assert sent == []  # nothing before the end
        assert not conn.is_in_transaction()
        await asyncio.sleep(0.2)
        assert len(sent) == 1, sent  # no BEGIN, no COMMIT: one statement
        assert sent[0].startswith("WITH w0 AS (INSERT INTO probe_case") and "INSERT INTO outbox" in sent[0]
        assert heard == [outbox.NOTIFY_CHANNEL]  # the relay is told
        await listener.remove_listener(outbox.NOTIFY_CHANNEL, hear)
    assert await stored(pool, urn) == ([urn], ["first note"], ["wja.intake.crime.reported.v1"] * 2)
    assert await pool.fetchval("SELECT n FROM probe_note WHERE urn = $1", urn) == len("first note")  # renumbered


async def test_a_failed_write_leaves_nothing_of_the_unit_and_marks_its_span(pool):
    urn = new_urn(9302)
    await pool.execute("INSERT INTO probe_case (urn) VALUES ($1)", urn)  # the unit's first write will clash
    with (
        trace.get_tracer("test").start_as_current_span("request") as parent,
        pytest.raises(asyncpg.UniqueViolationError),
    ):
        async with OneStatementUnitOfWork(pool, Repo) as uow:
            await uow.repo.add(urn, "never kept")
            await uow.publish(crime(urn))
    assert await stored(pool, urn) == ([urn], [], [])  # neither the note (a later write) nor the event
    telemetry.flush()
    trace_id = f"{parent.get_span_context().trace_id:032x}"
    (span,) = [s for s in exported_spans() if s["trace_id"] == trace_id and s["name"] == "probe.transaction"]
    assert span["status"] == "ERROR" and span["attributes"]["error.type"] == "UniqueViolationError"


async def test_a_read_is_refused_and_nothing_is_sent(pool):
    urn = new_urn(9303)
    with pytest.raises(TypeError, match="only writes"):
        async with OneStatementUnitOfWork(pool, Repo) as uow:
            await uow.repo.add(urn, "a note")
            await uow.repo.count()
    assert await stored(pool, urn) == ([], [], [])


async def test_an_error_in_the_block_sends_nothing(pool):
    urn = new_urn(9304)
    with pytest.raises(RuntimeError):
        async with OneStatementUnitOfWork(pool, Repo) as uow:
            await uow.repo.add(urn, "a note")
            await uow.publish(crime(urn))
            raise RuntimeError("refused")
    assert await stored(pool, urn) == ([], [], [])


async def test_inside_a_request_transaction_it_commits_and_rolls_back_with_it(pool):
    kept, dropped = new_urn(9305), new_urn(9306)
    for urn, commit in ((kept, True), (dropped, False)):
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            with db.ambient(conn):
                async with OneStatementUnitOfWork(pool, Repo) as uow:
                    await uow.repo.add(urn, "in a request")
                    await uow.publish(crime(urn))
            assert await stored(pool, urn) == ([], [], [])  # not visible outside before the request commits
            await (tx.commit() if commit else tx.rollback())
    assert await stored(pool, kept) == ([kept], ["in a request"], ["wja.intake.crime.reported.v1"])
    assert await stored(pool, dropped) == ([], [], [])


async def test_writes_without_events_are_written_together(pool):
    urn = new_urn(9307)
    async with OneStatementUnitOfWork(pool, Repo) as uow:
        await uow.repo.add(urn, "no events")
    assert await stored(pool, urn) == ([urn], ["no events"], [])
