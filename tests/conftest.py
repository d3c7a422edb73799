"""The whole system for end-to-end and fault tests: every service as its own process on the test stack.

The services run with their real entry points (``python -m wja_<svc>``), against the
session's broker and PostgreSQL (one database and role per service), on free ports, with
their own state directory (dev keys, span files).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from wja_cli.testing import TestStack, free_port, token
from wja_cli.up import Stack, available_services


@dataclass
class System:
    """A running system: URLs per service and tokens per caller."""

    stack: Stack
    test_stack: TestStack

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.stack.ports[service]}"

    def client(self, service: str, agency: str, role: str, sub: str = "tester", **claims: str) -> httpx.Client:
        headers = token(self.stack.state_dir, agency, role, sub=sub, **claims)
        return httpx.Client(
            base_url=self.url(service), headers=headers, timeout=30, limits=httpx.Limits(keepalive_expiry=2.0)
        )


def create_sessions(system: System, days: int = 120) -> None:
    """Court sessions every weekday from tomorrow (the listing officer's set-up)."""
    court = system.client("court", "court", "listing_officer", "lo-setup")
    start = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    for d in range(days):
        day = start + timedelta(days=d)
        if day.weekday() < 5:
            r = court.post(
                "/v1/sessions",
                json={"court_code": "C01", "capacity": 100, "starts_at": day.isoformat().replace("+00:00", "Z")},
            )
            assert r.status_code == 201, r.text


@pytest.fixture(scope="session")
def system(stack: TestStack) -> Iterator[System]:
    """All services, started once per session, stopped at the end."""
    stack.pg.ensure_databases()
    runner = Stack(
        state_dir=stack.state_dir(),
        ports={s: free_port() for s in ("intake", "charging", "court", "support", "insights")},
    )
    runner.services = available_services()
    runner.pg, runner.broker = stack.pg, stack.broker
    # short parking so the fault tests see unknown-case events dead-lettered within seconds; `make faults` sends ten
    # times the poison, and an out-of-order event's case must reach court within it (WJA_PARKING_TIMEOUT_SECONDS)
    parking = os.environ.get("WJA_PARKING_TIMEOUT_SECONDS", "8")
    runner.extra_env = {f"{s.upper()}_PARKING_TIMEOUT_SECONDS": parking for s in runner.services}
    try:
        for service in runner.services:
            runner.start_service(service)
        for service in runner.services:
            runner.wait_ready(service, timeout=90)
        system = System(runner, stack)
        create_sessions(system)
        yield system
    finally:
        for service in list(runner.procs):
            runner.stop_service(service)
