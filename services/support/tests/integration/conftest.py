"""A running support service, and a stand-in intake claim check served over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from wja_cli.stack import Broker
from wja_cli.testing import ServedApp, TestStack, eventually, free_port, publish, serials, served
from wja_platform import auth
from wja_platform.clock import FixedClock
from wja_schemas import new_envelope
from wja_schemas.examples import example
from wja_support.bootstrap import create_app
from wja_support.config import SupportSettings

NOW = datetime(2026, 9, 14, 12, tzinfo=UTC)
CONTACT = {
    "name": "Harriet Quill-Ashdown",
    "phone": "07700 900123",
    "email": "harriet.quill@example.org",
    "address": "14 Larch Row",
    "safe_contact": "after 6pm",
    "language": "en",
    "needs": [],
}


class StubIntake:
    """The claim-check endpoint of intake, as a real HTTP server that can be stopped and started."""

    def __init__(self) -> None:
        self.port = free_port()
        self.key = ""
        """The dev key the service signs with (known once the service is served)."""
        self.reads: list[str] = []
        self.gone: set[str] = set()
        """URNs whose contact details intake has purged: answered 410 Gone."""
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task | None = None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/referrals/{urn}")
        async def referral(urn: str, request: Request, purpose: str) -> JSONResponse:
            claims = auth.verify(request.headers["authorization"].split()[1], self.key)
            assert claims.agency == "idva" and claims.role == "service" and purpose
            self.reads.append(urn)
            if urn in self.gone:
                return JSONResponse({"message": "purged", "errors": []}, status_code=410)
            return JSONResponse({"urn": urn, "contact": CONTACT})

        return app

    async def start(self) -> None:
        self.server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="error"))
        self.task = asyncio.create_task(self.server.serve())
        server = self.server
        await eventually(lambda: asyncio.sleep(0, result=server.started))

    async def stop(self) -> None:
        if self.server and self.task:
            self.server.should_exit = True
            with contextlib.suppress(Exception):
                await self.task


SERIALS = serials()
"""Case numbers: each drawn once in the run."""


@dataclass
class Support(ServedApp):
    intake: StubIntake
    caller = ("idva", "idva", "idva-a")

    def urn(self) -> str:
        return f"{self.force}SP{next(SERIALS)}26"

    async def send(self, *envelopes):
        await publish(self.settings.kafka_bootstrap_servers, *envelopes)

    async def referred(self, urn: str, **over) -> dict:
        """Report + referral; returns the case as its assigned IDVA sees it."""
        await self.send(
            new_envelope(example("wja.intake.crime.reported.v1", urn=urn, force_code=self.force, unit="SP")),
            new_envelope(example("wja.intake.victim.referred.v1", urn=urn, force_code=self.force, **over)),
        )

        async def assigned():
            row = await self.pool.fetchrow("SELECT idva FROM cases WHERE urn = $1", urn)
            return row and row["idva"]

        return {"urn": urn, "idva": await eventually(assigned)}

    async def timeline(self, urn: str, sub: str, wait_for=None):
        async def get():
            r = await self.client.get(f"/v1/cases/{urn}/timeline", headers=self.h(sub=sub))
            if r.status_code != 200:
                return None
            body = r.json()
            return body if wait_for is None or wait_for(body) else None

        return await eventually(get)


FORCES = serials(10, 99)
"""A force code of its own for each test: the broker is shared, so a force two tests drew at random
would mix their referrals (and their IDVAs' caseloads)."""


@pytest.fixture(scope="session")
def support_stack(stack: TestStack) -> Iterator[TestStack]:
    """The session's PostgreSQL with a broker of these tests' own.

    Not the session's broker: once an end-to-end test has started the whole system on it (``system``, every
    service, for the rest of the session), those services react to what these tests publish: its court lists
    a hearing, at the real time, for every charge decision it reads, and vacates it on a discontinuance. On a
    loaded machine such a listing reached a test's timeline before the test's own IDVA assignment had come
    back from the broker (six entries, no assignment among them), or gave a re-charged case four listings
    where the test counted two. On a broker of their own, a case's events are only those its test sent and
    what the support service under test made of them.
    """
    broker = Broker(free_port(), stack.root / "support-broker.log")
    broker.start()
    try:
        yield TestStack(stack.pg, broker, stack.root)
    finally:
        broker.stop()


@pytest.fixture
async def support(support_stack: TestStack):
    force = f"{next(FORCES)}"
    intake = StubIntake()
    async with served(
        support_stack,
        "support",
        create_app,
        SupportSettings,
        lambda client, settings, app, clock: Support(client, settings, app, clock, intake),
        FixedClock(NOW),
        parking_retry_seconds=0.2,
        contact_poll_seconds=0.1,
        purge_check_seconds=0.1,
        metrics_refresh_seconds=0.1,
        intake_url=f"http://127.0.0.1:{intake.port}",
        claim_check_timeout_seconds=1.0,
        idva_roster=[
            {"sub": "idva-a", "team": "north", "forces": [force]},
            {"sub": "idva-b", "team": "north", "forces": [force]},
            {"sub": "idva-c", "team": "south", "forces": ["99"]},
        ],
    ) as s:
        intake.key = auth.ensure_dev_key(s.settings.state_dir).read_text().strip()
        s.force = force
        yield s
    await intake.stop()
