"""victim_ref is keyed by a pseudonym key of its own: rotating the data key changes no victim_ref."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime

import pytest
from wja_cli.testing import eventually, serve_app
from wja_intake.bootstrap import create_app
from wja_intake.config import IntakeSettings
from wja_platform.clock import FixedClock
from wja_platform.crypto import DEV_PSEUDONYM_KEY

from .conftest import VICTIM, Intake, report

pytestmark = pytest.mark.integration
OTHER = {**VICTIM, "name": "Another Person", "date_of_birth": "1990-05-06"}


def data_key(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


async def test_rotating_the_data_key_leaves_every_victim_ref_as_it_was(stack):
    """The embedded stack's defaults (dev mode, no pseudonym key configured): the data key is rotated
    the way make_secrets.py --rotate does it (a new key first, the old kept), intake restarts, its
    re-wrap job moves every row to the new key, and the victim_refs, old and new, do not change."""
    first, state = data_key("k1"), stack.state_dir()
    base = {
        "database_url": stack.new_database("intake"),
        "kafka_bootstrap_servers": stack.bootstrap,
        "state_dir": state,
        "default_units": {"01": "PK"},
        "rewrap_check_seconds": 0.1,
    }
    clock = FixedClock(datetime(2026, 9, 14, 12, tzinfo=UTC))

    def served(key: str):
        settings = IntakeSettings(**base, data_key=key, consumer_group=f"wja-intake-{uuid.uuid4().hex[:6]}")
        app = create_app(settings, clock=clock)
        return app, settings

    app, settings = served(first)
    async with serve_app(app) as client:
        intake = Intake(client, settings, app, clock)
        before = {}
        for victim in (VICTIM, OTHER):
            r = await client.post("/v1/reports", json=report(victim=victim), headers=intake.h())
            assert r.status_code == 201
            before[victim["name"]] = r.json()

    rotated = f"{data_key('k2')},{first}"
    app, settings = served(rotated)
    async with serve_app(app) as client:
        intake = Intake(client, settings, app, clock)

        async def rewrapped():
            return set(await intake.pool.fetchval("SELECT array_agg(DISTINCT key_id) FROM victims")) == {"k2"}

        await eventually(rewrapped)
        stored = {r["urn"]: r["victim_ref"] for r in await intake.pool.fetch("SELECT urn, victim_ref FROM cases")}
        assert stored == {v["urn"]: v["victim_ref"] for v in before.values()}
        for victim in (VICTIM, OTHER):
            again = await client.post("/v1/reports", json=report(victim=victim), headers=intake.h())
            assert again.json()["victim_ref"] == before[victim["name"]]["victim_ref"]
        old = before[VICTIM["name"]]["urn"]
        read = await client.get(
            f"/v1/referrals/{old}?purpose=idva_contact", headers=intake.h("idva", "manager", sub="mgr-1")
        )
        assert read.status_code == 200 and read.json()["victim_ref"] == before[VICTIM["name"]]["victim_ref"]
    assert (state / DEV_PSEUDONYM_KEY).is_file()  # a key of its own, made once in the state directory
