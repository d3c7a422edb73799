"""A running intake service on the session's broker and PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from wja_cli.testing import ServedApp, served
from wja_intake.bootstrap import create_app
from wja_intake.config import IntakeSettings
from wja_platform.clock import FixedClock

VICTIM = {
    "name": "Harriet Quill-Ashdown",
    "date_of_birth": "1987-03-14",
    "phone": "07700 900123",
    "email": "harriet.quill@example.org",
    "address": "14 Larch Row, Testtown",
    "safe_contact": "after 6pm",
    "language": "en",
    "needs": [],
}


def report(force: str = "01", **over):
    body = {
        "force_code": force,
        "reported_at": "2026-09-14T10:00:00Z",
        "offences": [{"code": "common_assault", "occurred_at": "2026-09-13T22:00:00Z"}],
        "victim": VICTIM,
        "suspect": {
            "name": "Marcus Test",
            "date_of_birth": "1984-01-02",
            "relationship": "partner",
        },
        "risk": {"tool": "DASH", "score": 15},
        "referral_basis": "consent",
    }
    body.update(over)
    return body


@dataclass
class Intake(ServedApp):
    caller = ("police", "officer", "pc-1")

    async def new_case(self, **over) -> str:
        r = await self.client.post("/v1/reports", json=report(**over), headers=self.h(force="01"))
        assert r.status_code == 201, r.text
        return r.json()["urn"]


@pytest.fixture
async def intake(stack):
    clock = FixedClock(datetime(2026, 9, 14, 12, tzinfo=UTC))
    async with served(
        stack,
        "intake",
        create_app,
        IntakeSettings,
        Intake,
        clock,
        parking_retry_seconds=0.2,
        default_units={"01": f"{uuid.uuid4().hex[:2].upper()}"},
    ) as intake:
        yield intake
