"""Pytest plugin: the real broker and PostgreSQL for integration tests, on their own ports.

Registered by the root ``conftest.py``. The session starts one Tansu broker and one
PostgreSQL server in a temporary directory and stops them at the end: no process is left
behind and ``make up`` can run beside the tests.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from wja_cli.stack import Broker, Postgres


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        self.broker.stop()
        self.broker = Broker(self.broker.port, self.broker.log)
        self.broker.start()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestStack]:
    """The session's broker and PostgreSQL."""
    root = tmp_path_factory.mktemp("wja-stack")
    pg = Postgres(free_port(), root / "pg" / "data")
    broker = Broker(free_port(), root / "broker.log")
    pg.start()
    try:
        broker.start()
        try:
            yield TestStack(pg, broker, root)
        finally:
            broker.stop()
    finally:
        pg.stop()


@contextlib.asynccontextmanager
async def serve_app(app: Any, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (pool, broker, relay, consumer) and give an HTTP client to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client
