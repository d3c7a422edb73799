"""Pytest plugin: the real broker and PostgreSQL for integration tests, on their own ports.

Registered by the root ``conftest.py``. The session starts one Tansu broker and one
PostgreSQL server in a temporary directory and stops them at the end: no process is left
behind and ``make up`` can run beside the tests.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from wja_platform import messaging

from wja_cli.stack import Broker, Postgres

# The tests' own Kafka clients, like the services', never create a topic by asking about it.
messaging.forbid_auto_topic_creation()


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serials(start: int = 10000, stop: int = 100000) -> Iterator[int]:
    """Every number of ``range(start, stop)`` once, in a random order: case numbers or force codes that no other
    test of the run draws (the tests of a service share its database; drawn with replacement, 60 URNs of 90,000
    meet in one run in 50, and two force codes of 89 in one in 89)."""
    return iter(random.sample(range(start, stop), stop - start))


@dataclass
class TestStack:
    """The servers of one test session."""

    pg: Postgres
    broker: Broker
    root: Path
    _ids = itertools.count(1)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; returns its DSN."""
        name = f"{prefix}_{next(self._ids)}_{uuid.uuid4().hex[:6]}"
        self.pg.psql(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{self.pg.port}/{name}"

    def state_dir(self) -> Path:
        """A fresh state directory (dev key, traces) for one service set."""
        path = self.root / "state" / uuid.uuid4().hex[:8]
        path.mkdir(parents=True)
        return path

    def restart_broker(self) -> None:
        """Stop the broker and start a new, empty one on the same port (a new cluster id)."""
        self.broker.restart()  # the same object: a `wja up` Stack sharing it sees the new broker


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestStack]:
    """The session's broker and PostgreSQL."""
    root = tmp_path_factory.mktemp("wja-stack")
    pg = Postgres(free_port(), root / "pg" / "data")
    broker = Broker(free_port(), root / "broker.log")
    pg.start()
    try:
        broker.start()
        test_stack = TestStack(pg, broker, root)
        try:
            yield test_stack
        finally:
            test_stack.broker.stop()
    finally:
        pg.stop()


@contextlib.asynccontextmanager
async def serve_app(app: Any, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (pool, broker, relay, consumer) and give an HTTP client to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def publish(bootstrap: str, *envelopes: Any) -> None:
    """Put events on their producer's topic directly (as that producer's relay would)."""
    from aiokafka import AIOKafkaProducer
    from wja_schemas import to_record
    from wja_schemas.topics import case_topic

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for env in envelopes:
            key, value, headers = to_record(env)
            await producer.send_and_wait(case_topic(env.payload.producer), value, key=key, headers=headers)
    finally:
        await producer.stop()


async def topic_records(bootstrap: str, topic: str, timeout_ms: int = 1500) -> list[Any]:
    """Every record now on ``topic`` (read with a throw-away consumer, no group)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[Any] = []
    try:
        batches = await consumer.getmany(timeout_ms=timeout_ms)
        while batches:
            out += [m for msgs in batches.values() for m in msgs]
            batches = await consumer.getmany(timeout_ms=300)
    finally:
        await consumer.stop()
    return out


def token(state_dir: Path, agency: str, role: str, sub: str = "tester", **claims: Any) -> dict[str, str]:
    """An ``Authorization`` header with a token signed by the dev key of ``state_dir``."""
    from wja_platform import auth

    key = auth.ensure_dev_key(state_dir).read_text().strip()
    return {"Authorization": f"Bearer {auth.mint(key, sub=sub, agency=agency, role=role, **claims)}"}


@dataclass
class ServedApp:
    """A service's app served in-process for its integration tests (subclass per service).

    ``h()`` is an ``Authorization`` header for :attr:`caller` (agency, role, sub), or for the
    agency, role and sub given.
    """

    client: httpx.AsyncClient
    settings: Any
    app: Any
    clock: Any
    caller: ClassVar[tuple[str, str, str]] = ("police", "officer", "tester")

    def h(
        self, agency: str | None = None, role: str | None = None, sub: str | None = None, **claims: Any
    ) -> dict[str, str]:
        default_agency, default_role, default_sub = self.caller
        return token(
            self.settings.state_dir, agency or default_agency, role or default_role, sub or default_sub, **claims
        )

    @property
    def pool(self) -> Any:
        """The service's own database pool."""
        return self.app.state.runtime.pool


async def eventually(predicate: Any, timeout: float = 60.0, step: float = 0.05, explain: Any = None) -> Any:
    """Call ``predicate()`` (and await it, when it is a coroutine function) until it returns something truthy; fail
    after ``timeout`` seconds.

    ``explain``: an async callable whose answer (what the system was doing) goes into the failure's message,
    for a condition that fails once in many runs and cannot be watched again.
    """
    import asyncio
    import inspect

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s{await _explained(explain)}")
        await asyncio.sleep(step)


async def _explained(explain: Any) -> str:
    """``explain()``'s answer for a failure's message; a diagnosis that fails says so and never hides the failure."""
    if explain is None:
        return ""
    try:
        return f"; {await explain()}"
    except Exception as exc:  # the failure being reported matters more than why its diagnosis failed
        return f"; (no diagnosis: {exc!r})"


def exported_spans() -> list[dict[str, Any]]:
    """Every span this test process's services wrote to their span file (flushed first)."""
    import json

    from wja_platform import telemetry

    assert telemetry.flush(), "spans were not exported"
    span_file = telemetry.span_file()
    assert span_file is not None, "spans go to OTLP here, not to a file"
    return [json.loads(line) for line in span_file.read_text(encoding="utf-8").splitlines() if line]


def server_spans(path: str) -> list[dict[str, Any]]:
    """The server spans exported for requests to ``path``."""
    return [s for s in exported_spans() if s["kind"] == "SERVER" and s["attributes"].get("http.target") == path]


STATEMENT_SPANS = {"BEGIN;", "COMMIT;", "ROLLBACK;", "INSERT", "SELECT", "UPDATE", "DELETE"}
"""Names the asyncpg instrumentation gives statement spans (a request traced per transaction has none)."""


def server_span_ids(path: str) -> set[str]:
    """The ids of the server spans exported so far for ``path`` (to tell the next request's apart)."""
    return {s["span_id"] for s in server_spans(path)}


def request_spans(path: str, before: set[str]) -> tuple[dict[str, Any], list[dict[str, Any]], set[str]]:
    """The one server span of ``path`` not in ``before``, its direct children, and the names of every span
    in its trace."""
    (server,) = [s for s in server_spans(path) if s["span_id"] not in before]
    spans = [s for s in exported_spans() if s["trace_id"] == server["trace_id"]]
    return server, [s for s in spans if s["parent_id"] == server["span_id"]], {s["name"] for s in spans}


def one_transaction_span(path: str, before: set[str], name: str, urn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check that the request to ``path`` (not in ``before``) made one child span, the unmarked transaction span
    ``name`` tagged with ``urn``, and no statement span in its trace; return its server and transaction spans."""
    server, children, names = request_spans(path, before)
    assert [s["name"] for s in children] == [name]
    assert not STATEMENT_SPANS & names
    (tx,) = children
    assert tx["status"] == "UNSET" and tx["attributes"]["wja.case.urn"] == urn
    return server, tx


@contextlib.asynccontextmanager
async def served(
    stack: TestStack,
    service: str,
    create_app: Any,
    settings_class: Any,
    served_class: Any,
    clock: Any,
    **settings: Any,
) -> AsyncIterator[Any]:
    """Serve one service in-process on the session's broker and a database of its own (the integration
    fixture of every service): ``served_class(client, settings, app, clock)``."""
    config = settings_class(
        database_url=stack.new_database(service),
        kafka_bootstrap_servers=stack.bootstrap,
        state_dir=stack.state_dir(),
        consumer_group=f"wja-{service}-{uuid.uuid4().hex[:6]}",
        **settings,
    )
    app = create_app(config, clock=clock)
    async with serve_app(app) as client:
        yield served_class(client, config, app, clock)
