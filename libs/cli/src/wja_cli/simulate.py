"""`wja simulate`: drive planned journeys through the public HTTP APIs, as each agency's staff would.

Police report, arrest, bail and ask for a charging decision; the CPS decides (sometimes asking
for more material, sometimes reviewed after NFA); the court's listing is automatic and the
listing officer records pleas, verdicts and sentences; the police close cases with a Home
Office outcome code. Each step waits for the event it depends on to arrive downstream.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from wja_platform import auth

from wja_cli.http1 import Pool, Response, TransportError
from wja_cli.journeys import EVIDENCE, CasePlan

if TYPE_CHECKING:
    from wja_cli.timed import TimedRun


class StepFailed(Exception):
    """A step of a journey got an unexpected answer."""


RETRY_SECONDS = 120.0
"""How long a POST is retried (same Idempotency-Key) while its service restarts or its database is away."""
STEP_TIMEOUT: contextvars.ContextVar[float] = contextvars.ContextVar("step_timeout", default=60.0)
"""How long a step waits for the event it depends on downstream (set per run by ``simulate``)."""


class Client:
    """A staff member's HTTP client: every POST carries an ``Idempotency-Key`` and is retried with it
    when no answer came (connection refused or reset, timeout, 503), so a restart never loses or
    doubles a step. Its connections are its agency's :class:`~wja_cli.http1.Pool` (lean HTTP/1.1:
    the driver shares the cores with the stack it drives); it adds its bearer token to each request."""

    def __init__(self, pool: Pool, headers: dict[str, str]) -> None:
        self.pool = pool
        self.headers = headers
        self.retries = 0

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Response:
        return await self.pool.request("GET", path, {**self.headers, **headers} if headers else self.headers)

    async def post(self, path: str, *, json: Any = None, headers: dict[str, str] | None = None) -> Response:
        sent = {**self.headers, "Idempotency-Key": str(uuid.uuid4()), **(headers or {})}
        body = None
        if json is not None:
            sent["Content-Type"] = "application/json"
            body = _dumps(json).encode()
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.1
        while True:
            try:
                response = await self.pool.request("POST", path, sent, body)
                if response.status_code != 503:
                    return response
            except TransportError:
                if time.monotonic() > deadline:
                    raise
            else:
                if time.monotonic() > deadline:
                    return response
            self.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass
class Agencies:
    """One HTTP client per agency role, against the services' URLs; one connection pool per service."""

    key: str
    urls: dict[str, str]
    clients: dict[str, Client] = field(default_factory=dict)
    pools: dict[str, Pool] = field(default_factory=dict)

    def client(self, service: str, agency: str, role: str, sub: str, **claims: str) -> Client:
        name = f"{service}:{agency}:{role}:{sub}:{claims}"
        if name not in self.clients:
            if service not in self.pools:
                self.pools[service] = Pool(self.urls[service], timeout=30, max_connections=100, keepalive_expiry=2.0)
            token = auth.mint(self.key, sub=sub, agency=agency, role=role, ttl_seconds=24 * 3600, **claims)
            self.clients[name] = Client(self.pools[service], {"Authorization": f"Bearer {token}"})
        return self.clients[name]

    async def close(self) -> None:
        await asyncio.gather(*(p.aclose() for p in self.pools.values()))

    @property
    def retries(self) -> int:
        """POSTs sent again (same key) because no answer came."""
        return sum(c.retries for c in self.clients.values())


@dataclass
class Summary:
    """What a simulation did."""

    cases: int = 0
    completed: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    seconds: float = 0.0


async def _ok(response: Awaitable[Response], step: str, *expected: int) -> Any:
    r = await response
    if r.status_code not in (expected or (200, 201)):
        raise StepFailed(f"{step}: {r.status_code}")
    return r.json() if r.content else None


POLL_FIRST = 0.05
"""Seconds :func:`wait_for` waits before its first check of a step it has not seen yet; the wait then doubles
after each check that found nothing, up to ``POLL_MAX``. What it waits for comes through the broker and a
consumer (tens of milliseconds), so a check made at once, or 20 ms later, only costs the service a request: with
the lean client answering in a fraction of a millisecond, checks at 0, 20, 50, 95… ms made 8-10 a journey, each a
GET the stack must serve (docs/performance-journal.md, "Polling")."""
POLL_MAX = 0.5
FIRST_MAX = 2.0
"""The longest first wait that a step's pace (:data:`PACE`) can give: a slow spell (a broker restarting) is not
carried for long into the waits after it."""
PACE: dict[str, float] = {}
"""Seconds each step's waits took lately in this process (a weighted mean, a fifth to the newest). Under load
the stack takes a second or more to carry an event to the next agency, and checks from 50 ms on found nothing
three times in four (docs/performance-journal.md, "checks that found nothing"): :func:`wait_for` makes its first check
at three quarters of its step's pace and the next ones a fifth of it apart."""
POLLS = [0]
"""Checks made by :func:`wait_for` in this process (the bench prints them per journey)."""


async def wait_for(check: Callable[[], Awaitable[Any]], step: str) -> Any:
    """Poll until ``check()`` gives something truthy (the event arrived downstream)."""
    started = time.monotonic()
    deadline = started + STEP_TIMEOUT.get()
    pace = PACE.get(step)
    if pace is None:
        delay, then = POLL_FIRST, None
    else:
        delay, then = min(max(POLL_FIRST, 0.75 * pace), FIRST_MAX), min(max(POLL_FIRST, 0.2 * pace), POLL_MAX)
    while time.monotonic() < deadline:
        await asyncio.sleep(delay)
        delay = then or min(delay * 2, POLL_MAX)
        POLLS[0] += 1
        try:
            value = await check()
        except TransportError:  # a read: safe to ask again (e.g. the service is restarting)
            value = None
        if value:
            took = time.monotonic() - started
            PACE[step] = took if pace is None else 0.8 * pace + 0.2 * took
            return value
    raise StepFailed(f"{step}: timed out")


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def create_sessions(
    agencies: Agencies, *, days: int = 200, capacity: int = 500, courts: tuple[str, ...] = ("C01",)
) -> None:
    """Court sessions every working day from tomorrow, enough for the simulated load."""
    court = agencies.client("court", "court", "listing_officer", "lo-sim")
    start = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    for code in courts:
        for d in range(days):
            day = start + timedelta(days=d)
            if day.weekday() < 5:
                await _ok(
                    court.post("/v1/sessions", json={"court_code": code, "starts_at": iso(day), "capacity": capacity}),
                    "create session",
                )


async def run_case(p: CasePlan, a: Agencies) -> str:
    """Drive one case from report to its planned end; returns the outcome label."""
    police = a.client("intake", "police", "officer", "pc-sim", force=p.force)
    cps = a.client("charging", "cps", "prosecutor", "cps-sim")
    court = a.client("court", "court", "listing_officer", "lo-sim")
    v = p.victim
    report = {
        "force_code": p.force,
        "reported_at": iso(p.reported_at),
        "offences": [{"code": p.offence, "occurred_at": iso(p.reported_at - timedelta(hours=2))}],
        "victim": {
            "name": v.name,
            "date_of_birth": v.date_of_birth,
            "phone": v.phone,
            "email": v.email,
            "address": v.address,
            "safe_contact": v.safe_contact,
            "language": "en",
            "needs": [],
        },
        "suspect": {"name": f"Suspect {p.index}", "date_of_birth": "1985-05-05", "relationship": "partner"},
        "risk": {"tool": "DASH", "score": p.dash_score},
        "referral_basis": p.referral_basis,
    }
    created = await _ok(police.post("/v1/reports", json=report), "report", 201)
    urn = p.urn = created["urn"]
    now = p.reported_at + timedelta(hours=3)
    if p.arrested:
        await _ok(police.post(f"/v1/cases/{urn}/arrests", json={"arrested_at": iso(now)}), "arrest")
        until = (now + timedelta(days=80)).date().isoformat()
        await _ok(
            police.post(
                f"/v1/cases/{urn}/bail",
                json={"kind": "pre_charge_bail", "conditions": ["no_contact_victim"], "until": until},
            ),
            "bail",
        )
    if not p.referred:
        return "not referred"
    plea = {"guilty": "guilty", "not_guilty": "not_guilty"}.get(p.plea or "", "unknown")
    await _ok(
        police.post(
            f"/v1/cases/{urn}/charging-requests",
            json={"evidence": list(EVIDENCE[:3]), "requested_test": "full_code", "anticipated_plea": plea},
        ),
        "charging request",
    )

    async def cps_status(*wanted: str) -> Any:
        r = await cps.get(f"/v1/cases/{urn}")
        return r.status_code == 200 and r.json().get("status") in wanted

    await wait_for(lambda: cps_status("awaiting_decision"), "charging file opened")
    if p.further_material_first:
        due = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
        await _ok(
            cps.post(
                f"/v1/cases/{urn}/decisions",
                json={
                    "decision": "further_material_required",
                    "test": "full_code",
                    "charges": [],
                    "due_date": due,
                    "reason": "needs the 999 call",
                },
            ),
            "further material decision",
        )

        async def police_status(wanted: str) -> Any:
            r = await police.get(f"/v1/cases/{urn}")
            return r.status_code == 200 and r.json().get("status") == wanted

        await wait_for(lambda: police_status("further_material_required"), "action plan at intake")
        await _ok(
            police.post(f"/v1/cases/{urn}/further-material", json={"evidence": ["999_call"], "note": "attached"}),
            "further material",
        )
        await wait_for(lambda: cps_status("awaiting_decision"), "file back with cps")
    await _decide(cps, urn, p.decision or "charge", p)
    if p.decision == "no_further_action" and p.vrr:
        review = await _ok(
            cps.post(f"/v1/cases/{urn}/reviews", json={"requested_at": iso(datetime.now(UTC))}), "vrr request", 201, 200
        )
        outcome = "overturned" if p.vrr_overturned else "upheld"
        await _ok(
            cps.post(f"/v1/reviews/{review['review_id']}/decision", json={"outcome": outcome, "reason": "review"}),
            "vrr decision",
        )
        if p.vrr_overturned:
            await wait_for(lambda: cps_status("awaiting_decision"), "file reopened")
            await _decide(cps, urn, "charge", p)
    if not p.charged:
        await _close(police, urn, p.closure_code or "15", ("awaiting_closure",))
        return p.decision or "not charged"
    return await _court(p, urn, court, cps, police)


async def _decide(cps: Client, urn: str, decision: str, p: CasePlan) -> None:
    body: dict[str, Any] = {"decision": decision, "test": "full_code", "charges": [], "reason": "simulated decision"}
    if decision == "charge":
        body["charges"] = [{"offence_code": p.offence}]
    if decision == "no_further_action":
        body["basis"] = p.nfa_basis or "evidential"
    await _ok(cps.post(f"/v1/cases/{urn}/decisions", json=body), f"decision {decision}")


async def _close(police: Client, urn: str, code: str, ready: tuple[str, ...]) -> None:
    async def status_ready() -> Any:
        r = await police.get(f"/v1/cases/{urn}")
        return r.status_code == 200 and r.json().get("status") in ready

    await wait_for(status_ready, "ready for closure")
    await _ok(police.post(f"/v1/cases/{urn}/closure", json={"outcome_code": code, "reason": "simulated"}), "closure")


async def _hearing(court: Client, urn: str, kind: str) -> dict[str, Any]:
    async def listed() -> Any:
        r = await court.get(f"/v1/cases/{urn}/hearings")
        if r.status_code != 200:
            return None
        return next((h for h in r.json() if h["type"] == kind and h["status"] == "listed"), None)

    return await wait_for(listed, f"{kind} listed")  # type: ignore[no-any-return]


async def _court(p: CasePlan, urn: str, court: Client, cps: Client, police: Client) -> str:
    first = await _hearing(court, urn, "first_hearing")
    result = "guilty_plea" if p.plea == "guilty" else "not_guilty_plea"
    await _ok(court.post(f"/v1/hearings/{first['hearing_id']}/result", json={"result": result}), "plea")
    if p.outcome == "discontinued":
        await _ok(
            cps.post(f"/v1/cases/{urn}/discontinuance", json={"reason": p.discontinuance_reason}), "discontinuance"
        )
        return f"discontinued ({p.discontinuance_reason})"
    if p.plea == "not_guilty":
        trial = await _hearing(court, urn, "trial")
        await _ok(court.post(f"/v1/hearings/{trial['hearing_id']}/result", json={"result": "effective"}), "trial")
        verdict = "convicted" if p.outcome == "convicted" else "acquitted"
        await _ok(court.post(f"/v1/cases/{urn}/verdict", json={"verdict": verdict}), "verdict")
    if p.outcome == "convicted":
        body: dict[str, Any] = {"disposal": p.disposal}
        if p.custody_months:
            body["custody_months"] = p.custody_months
        await _ok(court.post(f"/v1/cases/{urn}/sentence", json=body), "sentence")
    if p.restraining_order:
        basis = "conviction" if p.outcome == "convicted" else "acquittal"
        await _ok(
            court.post(
                f"/v1/cases/{urn}/restraining-orders",
                json={"basis": basis, "until": None, "conditions": ["no_contact_victim", "exclusion_zone"]},
            ),
            "restraining order",
        )
    return p.outcome or "charged"


async def simulate(
    plans: list[CasePlan],
    urls: dict[str, str],
    key: str,
    *,
    rate: float = 10.0,
    concurrency: int = 40,
    on_done: Callable[[CasePlan, str | None], None] | None = None,
    sessions: bool = True,
    step_timeout: float = 60.0,
    timed: TimedRun | None = None,
) -> Summary:
    """Run every plan, starting ``rate`` cases a second, at most ``concurrency`` at once; a step
    fails when the event it waits for has not arrived downstream within ``step_timeout`` seconds.
    With ``timed``, each step is sent at its simulated time (:mod:`wja_cli.timed`)."""
    STEP_TIMEOUT.set(step_timeout)  # the journeys' tasks inherit this context
    agencies = Agencies(key, urls)
    summary = Summary(cases=len(plans))
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    try:
        if timed is not None:
            await timed.prepare(agencies)
        elif sessions:
            await create_sessions(agencies)

        async def one(p: CasePlan) -> None:
            async with gate:
                try:
                    outcome = await (timed.run(p, agencies) if timed else run_case(p, agencies))
                    summary.completed += 1
                    summary.outcomes[outcome] += 1
                    if on_done:
                        on_done(p, outcome)
                except (StepFailed, TransportError) as exc:
                    summary.failed[str(exc).split(":")[0] if isinstance(exc, StepFailed) else type(exc).__name__] += 1
                    if on_done:
                        on_done(p, None)

        tasks = []
        for i, p in enumerate(plans):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(p)))
        await asyncio.gather(*tasks)
    finally:
        summary.retries = agencies.retries
        await agencies.close()
    summary.seconds = time.monotonic() - started
    return summary
