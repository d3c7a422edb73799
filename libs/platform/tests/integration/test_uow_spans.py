"""A unit of work with a transaction of its own is one span, a read view is one span: their statements, BEGIN,
COMMIT and the pool's reset make none; a database error marks the span with its type only."""

from __future__ import annotations

import json

import asyncpg
import pytest
from opentelemetry import trace
from wja_cli.testing import exported_spans
from wja_platform import problems, telemetry
from wja_platform.uow import PgUnitOfWork, read, service_of

from .conftest import crime, new_urn, traced_pool

pytestmark = pytest.mark.integration
SECRET = "Jane Secret-Value"


class Repo:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, name: str) -> None:
        await self.conn.execute("INSERT INTO uow_probe (name) VALUES ($1)", name)


Repo.__module__ = "wja_probe.adapters.repository"  # as a service's repository is


@pytest.fixture
async def pool(stack, tmp_path):
    async with traced_pool(stack, tmp_path, "uow", "CREATE TABLE uow_probe (name text PRIMARY KEY)") as pool:
        yield pool


def under(name: str):
    return trace.get_tracer("test").start_as_current_span(name)


def trace_of(parent: trace.Span) -> tuple[list[dict], list[dict]]:
    """The spans of ``parent``'s trace but itself, and its direct children."""
    ctx = parent.get_span_context()
    spans = [s for s in exported_spans() if s["trace_id"] == f"{ctx.trace_id:032x}"]
    spans = [s for s in spans if s["span_id"] != f"{ctx.span_id:016x}"]
    return spans, [s for s in spans if s["parent_id"] == f"{ctx.span_id:016x}"]


async def test_statements_outside_make_a_span_each(pool):
    """The control: the asyncpg instrumentation is on, so the tests below could see statement spans."""
    with under("request") as parent:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    spans, _ = trace_of(parent)
    assert "SELECT" in {s["name"] for s in spans}


async def test_a_unit_of_work_is_one_span_named_after_its_service_and_the_trace_goes_on(pool):
    assert service_of(Repo) == "probe"
    urn = new_urn(9001)
    with under("request") as parent:
        async with PgUnitOfWork(pool, Repo) as uow:
            await uow.repo.add("a")
            await uow.repo.add("b")
            await uow.publish(crime(urn))
    spans, children = trace_of(parent)
    assert [s["name"] for s in spans] == ["probe.transaction"] and children == spans
    (tx,) = spans
    assert tx["kind"] == "CLIENT" and tx["status"] == "UNSET" and tx["attributes"]["db.system.name"] == "postgresql"
    headers = await pool.fetchval("SELECT headers FROM outbox WHERE urn = $1", urn)
    assert f"{tx['trace_id']}-{tx['span_id']}" in str(headers)  # the outbox row carries the span's context


async def test_a_unit_of_work_takes_the_span_name_it_is_given(pool):
    with under("request") as parent:
        async with PgUnitOfWork(pool, Repo, span="probe.special") as uow:
            await uow.repo.add("named")
    _, children = trace_of(parent)
    assert [s["name"] for s in children] == ["probe.special"]


async def test_a_database_error_marks_the_span_with_its_type_and_never_its_message(pool):
    await pool.execute("INSERT INTO uow_probe (name) VALUES ($1)", SECRET)
    with under("request") as parent, pytest.raises(asyncpg.UniqueViolationError):
        async with PgUnitOfWork(pool, Repo) as uow:
            await uow.repo.add(SECRET)
    spans, children = trace_of(parent)
    assert [s["name"] for s in spans] == ["probe.transaction"] and children == spans
    assert spans[0]["status"] == "ERROR" and spans[0]["attributes"]["error.type"] == "UniqueViolationError"
    assert SECRET not in json.dumps(spans)


async def test_a_failed_commit_marks_the_span(pool):
    await pool.execute(
        "CREATE TABLE uow_deferred (name text PRIMARY KEY DEFERRABLE INITIALLY DEFERRED);"
        " INSERT INTO uow_deferred VALUES ('x')"
    )
    with under("request") as parent, pytest.raises(asyncpg.UniqueViolationError):
        async with PgUnitOfWork(pool, Repo) as uow:
            await uow.conn.execute("INSERT INTO uow_deferred VALUES ('x')")  # checked at COMMIT
    _, children = trace_of(parent)
    assert [(s["name"], s["status"]) for s in children] == [("probe.transaction", "ERROR")]


async def test_a_refusal_inside_is_not_a_database_error_and_rolls_back(pool):
    with under("request") as parent, pytest.raises(problems.Conflict):
        async with PgUnitOfWork(pool, Repo) as uow:
            await uow.repo.add("refused")
            raise problems.Conflict("not now")
    _, children = trace_of(parent)
    assert [(s["name"], s["status"]) for s in children] == [("probe.transaction", "UNSET")]
    assert await pool.fetchval("SELECT count(*) FROM uow_probe WHERE name = 'refused'") == 0


async def test_a_joining_unit_of_work_makes_no_span(pool):
    with under("request") as parent:
        async with pool.acquire() as conn, conn.transaction():
            with telemetry.instrumentation_suppressed():  # as the consumer's batch does
                async with PgUnitOfWork.joining(conn, Repo) as uow:
                    await uow.repo.add("joined")
    spans, _ = trace_of(parent)
    assert "probe.transaction" not in {s["name"] for s in spans}
    assert await pool.fetchval("SELECT count(*) FROM uow_probe WHERE name = 'joined'") == 1


async def test_a_read_is_one_span_without_its_statements_or_the_pools_reset(pool):
    with under("request") as parent:
        async with read(pool, "probe.read") as conn:
            await conn.fetch("SELECT * FROM uow_probe")
            await conn.fetchval("SELECT count(*) FROM uow_probe")
    spans, children = trace_of(parent)
    assert [s["name"] for s in spans] == ["probe.read"] and children == spans
    assert spans[0]["status"] == "UNSET"


async def test_a_database_error_in_a_read_marks_its_span_a_not_found_does_not(pool):
    with under("request") as parent, pytest.raises(asyncpg.UndefinedTableError):
        async with read(pool, "probe.read") as conn:
            await conn.fetch("SELECT * FROM no_such_table")
    with under("request") as missing, pytest.raises(problems.NotFound):
        async with read(pool, "probe.read") as conn:
            await conn.fetch("SELECT * FROM uow_probe")
            raise problems.NotFound("no such case")
    _, failed = trace_of(parent)
    _, absent = trace_of(missing)
    assert [(s["name"], s["status"], s["attributes"]["error.type"]) for s in failed] == [
        ("probe.read", "ERROR", "UndefinedTableError")
    ]
    assert [(s["name"], s["status"]) for s in absent] == [("probe.read", "UNSET")]


async def test_a_case_urn_learnt_inside_the_transaction_tags_the_request_span_too(pool):
    urn = new_urn(9002)
    with telemetry.case_scope(), under("request") as parent:
        async with PgUnitOfWork(pool, Repo) as uow:
            await uow.repo.add("tagged")
            telemetry.set_case_urn(urn)  # as a use case does when its path names a hearing, not the case
    (request,) = [s for s in exported_spans() if s["span_id"] == f"{parent.get_span_context().span_id:016x}"]
    _, children = trace_of(parent)
    assert request["attributes"]["wja.case.urn"] == urn
    assert [s["attributes"]["wja.case.urn"] for s in children] == [urn]
