"""A running charging service on the session's broker and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from wja_charging.bootstrap import create_app
from wja_charging.config import ChargingSettings
from wja_cli.testing import ServedApp, eventually, publish, serials, served
from wja_platform.clock import FixedClock
from wja_schemas import new_envelope
from wja_schemas.examples import example

SERIALS = serials()
"""Case numbers: each drawn once in the run."""


@dataclass
class Charging(ServedApp):
    caller = ("cps", "prosecutor", "cps-1")

    async def file(self, risk="standard", requested_at=None, envelope=None) -> str:
        urn = f"01CH{next(SERIALS)}26"
        env = envelope or new_envelope(
            example(
                "wja.intake.charging.requested.v1",
                urn=urn,
                risk_level=risk,
                requested_at=requested_at or self.clock.now(),
            )
        )
        await publish(self.settings.kafka_bootstrap_servers, env)

        async def opened():
            return (await self.client.get(f"/v1/cases/{env.subject}", headers=self.h())).status_code == 200

        await eventually(opened)
        return env.subject

    async def decide(self, urn, **body):
        payload = {
            "decision": "charge",
            "test": "full_code",
            "charges": [{"offence_code": "abh"}],
            "reason": "Victim's account corroborated by BWV at her address",
            **body,
        }
        return await self.client.post(f"/v1/cases/{urn}/decisions", json=payload, headers=self.h())


@pytest.fixture
async def charging(stack):
    clock = FixedClock(datetime(2026, 9, 14, 12, tzinfo=UTC))
    async with served(
        stack,
        "charging",
        create_app,
        ChargingSettings,
        Charging,
        clock,
        parking_retry_seconds=0.2,
        finalisation_check_seconds=3600,
    ) as app:
        yield app
