"""A running court service on the session's broker and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from wja_cli.testing import ServedApp, eventually, publish, serials, served
from wja_court.bootstrap import create_app
from wja_court.config import CourtSettings
from wja_platform.clock import FixedClock
from wja_schemas import new_envelope
from wja_schemas.examples import example

NOW = datetime(2026, 9, 14, 12, tzinfo=UTC)
FORCES = itertools.count(11)


def iso(at):
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


SERIALS = serials()
"""Case numbers: each drawn once in the run."""


@dataclass
class Court(ServedApp):
    caller = ("court", "listing_officer", "lo-1")

    @property
    def force(self) -> str:
        """The test's own force (each test has one: the broker is shared)."""
        return next(iter(self.settings.force_courts))

    @property
    def code(self) -> str:
        """The one court serving the test's force."""
        return self.settings.force_courts[self.force][0]

    async def session(self, days: float, capacity: int = 5, code: str | None = None) -> str:
        r = await self.client.post(
            "/v1/sessions",
            json={
                "court_code": code or self.code,
                "starts_at": iso(NOW + timedelta(days=days)),
                "capacity": capacity,
            },
            headers=self.h(),
        )
        assert r.status_code == 201, r.text
        return r.json()["session_id"]

    async def charge(self, force=None, **over) -> str:
        urn = over.pop("urn", None) or f"{force or self.force}CT{next(SERIALS)}26"
        await publish(
            self.settings.kafka_bootstrap_servers,
            new_envelope(
                example(
                    "wja.charging.decision.made.v1",
                    urn=urn,
                    decided_at=over.pop("decided_at", NOW),
                    force_code=force or self.force,
                    **over,
                )
            ),
        )
        await self.hearings(urn)
        return urn

    async def hearings(self, urn: str, wait_for=None):
        async def get():
            r = await self.client.get(f"/v1/cases/{urn}/hearings", headers=self.h())
            if r.status_code != 200:
                return None
            hs = r.json()
            return hs if wait_for is None or wait_for(hs) else None

        return await eventually(get)

    async def outbox(self, urn):
        return [
            r["ce_type"] for r in await self.pool.fetch("SELECT ce_type FROM outbox WHERE urn = $1 ORDER BY id", urn)
        ]


def court_settings() -> dict:
    """A force of the test's own, served by one court of its own."""
    return {"force_courts": {f"{next(FORCES)}": [f"C{uuid.uuid4().hex[:5].upper()}"]}}


@pytest.fixture
async def court(stack):
    settings = court_settings() | {"parking_retry_seconds": 0.2}
    async with served(stack, "court", create_app, CourtSettings, Court, FixedClock(NOW), **settings) as c:
        yield c
