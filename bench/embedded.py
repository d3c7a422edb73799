"""The embedded stack as the bench scripts start it: PostgreSQL, the broker and every service, each in its
own process as ``wja up`` runs them, on free ports in a temporary directory; stopped on the way out.

``WJA_TRACE_SAMPLE_RATIO`` is passed on to the services (``wja up`` passes no ``WJA_`` variable on).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
from wja_cli.stack import Broker, Postgres
from wja_cli.testing import free_port
from wja_cli.up import Stack
from wja_platform import auth

SERVICES = ("intake", "charging", "court", "support", "insights")


@dataclass
class Running:
    """A started stack: its token key, the services' URLs and their processes."""

    stack: Stack
    key: str
    urls: dict[str, str]

    def processes(self) -> tuple[dict[str, psutil.Process], psutil.Process]:
        """Each service's process and the broker's (as ``broker``); and PostgreSQL's postmaster."""
        stack = self.stack
        assert stack.broker.proc is not None and stack.pg.proc is not None
        procs = {s: psutil.Process(p.pid) for s, p in stack.procs.items()}
        procs["broker"] = psutil.Process(stack.broker.proc.pid)
        return procs, psutil.Process(stack.pg.proc.pid)


@contextlib.contextmanager
def running(prefix: str, *, services: tuple[str, ...] = SERVICES, postgres_conf: str = "") -> Iterator[Running]:
    """Start the stack (``postgres_conf``: lines added to ``postgresql.conf`` before the services start)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    stack = Stack(state_dir=root / "state", ports={s: free_port() for s in services}, services=list(services))
    if os.environ.get("WJA_TRACE_SAMPLE_RATIO"):
        stack.extra_env["WJA_TRACE_SAMPLE_RATIO"] = os.environ["WJA_TRACE_SAMPLE_RATIO"]
    stack.pg = Postgres(free_port(), root / "pg" / "data")
    stack.broker = Broker(free_port(), root / "broker.log")
    stack.pg.start()
    try:
        if postgres_conf:  # the cluster exists now: restart it with the extra settings
            stack.pg.stop()
            with (root / "pg" / "data" / "postgresql.conf").open("a") as conf:
                conf.write("\n" + postgres_conf + "\n")
            stack.pg.start()
        stack.pg.ensure_databases()
        stack.broker.start()
        for s in stack.services:
            stack.start_service(s)
        for s in stack.services:
            stack.wait_ready(s)
        key = auth.ensure_dev_key(stack.state_dir).read_text().strip()
        yield Running(stack, key, {s: f"http://127.0.0.1:{p}" for s, p in stack.ports.items()})
    finally:
        stack.stop()
