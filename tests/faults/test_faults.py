"""Faults on the embedded stack, each service its own process: nothing lost, nothing applied twice.

The sizes are small in ``make test``; ``make faults`` runs the same cases bigger
(``WJA_FAULT_CASES``, ``WJA_BROKER_OUTAGE_SECONDS``).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from wja_cli import journeys, simulate
from wja_platform import auth
from wja_schemas import new_envelope, to_record
from wja_schemas.examples import example

from ..e2e.helpers import ok, report_body, until
from ..e2e.test_simulated_insights import agrees, expected, suppressed

pytestmark = pytest.mark.e2e
CASES = int(os.environ.get("WJA_FAULT_CASES", "200"))
RATE = float(os.environ.get("WJA_FAULT_RATE", "4"))  # cases started a second while services are killed
KILL_GAP = tuple(float(x) for x in os.environ.get("WJA_KILL_GAP_SECONDS", "0.3,1.2").split(","))
"""Seconds between one kill (and restart) and the next, drawn uniformly from this range."""
OUTAGE = float(os.environ.get("WJA_BROKER_OUTAGE_SECONDS", "5"))
PG_DOWN = float(os.environ.get("WJA_PG_DOWN_SECONDS", "3"))
DELIVERY = float(os.environ.get("WJA_DELIVERY_SECONDS", "120"))
"""How long an event may take to reach the next service under the run's load: a journey step, and
each check that waits for delivery, fails after this. The embedded broker slows as its in-memory
log grows (``make faults`` puts some 170,000 events on it, then republishes them all after the
outage), so the full-size run allows more."""


def fetch(system, service: str, sql: str, *args):
    async def run():
        conn = await asyncpg.connect(system.stack.pg.dsn(service))
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def kill9_and_restart(system, service: str, *, wait: bool = True) -> None:
    proc = system.stack.procs[service]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    system.stack.start_service(service)
    if wait:
        system.stack.wait_ready(service, timeout=60)


def published_ids(system, urns: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {u: set() for u in urns}
    for producer in ("intake", "charging", "court", "support"):
        for row in fetch(
            system,
            producer,
            "SELECT urn, ce_id FROM outbox WHERE urn = ANY($1::text[]) AND topic LIKE 'wja.%.case.v1'",
            urns,
        ):
            out[row["urn"]].add(row["ce_id"])
    return out


SERVICES = ("intake", "charging", "court", "support", "insights")


def run(
    system, plans, *, rate: float, disturb: Callable[[], None] | None = None, sessions: bool = False
) -> simulate.Summary:
    """Simulate ``plans``; with ``disturb``, call it every few seconds (``KILL_GAP``) while they run.

    A gap is at most a quarter of the time the run takes to start its journeys (``len(plans) / rate``), so that
    the first three disturbances come while journeys are under way in a short run too (``make faults
    FAULT_CASES=2000``: 100 journeys at 20 a second are all started after 5 s, and on 1 December such runs had
    ended before a first gap of 5-15 s was over). The full-size runs' gaps are as drawn."""
    key = auth.ensure_dev_key(system.stack.state_dir).read_text().strip()
    urls = {s: system.url(s) for s in ("intake", "charging", "court", "support")}
    result: dict = {}
    done = Counter()
    every = max(len(plans) // 20, 50)

    def progress(_plan, outcome) -> None:  # long runs show how far they are
        done["ok" if outcome else "failed"] += 1
        if sum(done.values()) % every == 0:
            print(f"{'disturbed' if disturb else 'calm'} run: {sum(done.values())}/{len(plans)} cases, {dict(done)}")

    runner = threading.Thread(
        target=lambda: result.update(
            summary=asyncio.run(
                simulate.simulate(
                    plans, urls, key, rate=rate, sessions=sessions, on_done=progress, step_timeout=DELIVERY
                )
            )
        )
    )
    runner.start()
    rng = random.Random(5)
    longest = len(plans) / rate / 4
    while runner.is_alive():
        time.sleep(min(rng.uniform(*KILL_GAP), longest))
        if disturb and runner.is_alive():
            disturb()
    runner.join()
    return result["summary"]


def killer(system, kills: Counter) -> Callable[[], None]:
    """Each call kill -9s a service, each of them in turn in a random order, and restarts it."""
    rng = random.Random(7)
    order: list[str] = []

    def kill() -> None:
        order[:] = order or rng.sample(SERVICES, len(SERVICES))
        victim = order.pop()
        began = time.monotonic()
        kill9_and_restart(system, victim)
        kills[victim] += 1
        print(f"killed {victim}: ready again after {time.monotonic() - began:.1f} s")

    return kill


def assert_as_undisturbed(system, calm_plans, plans) -> None:
    """Every published event of ``plans`` is on the IDVA timelines exactly once, and every case ended
    in every service as the same plan did in the undisturbed run (``calm_plans``, another force)."""
    urns = [p.urn for p in plans]

    def support_has_all():
        # what was published is read again each time: consumers still publish (support assigning an
        # IDVA, court listing) after the last journey step, so an early snapshot would never match
        want = published_ids(system, urns)
        rows = fetch(system, "support", "SELECT urn, id FROM entries WHERE urn = ANY($1::text[])", urns)
        got: dict[str, set[str]] = {u: set() for u in urns}
        for row in rows:
            got[row["urn"]].add(row["id"])
        return got if got == want else None

    until(support_has_all, "every published event on the IDVA timelines exactly once", timeout=DELIVERY)
    calm, shaken = case_states(system, calm_plans), case_states(system, plans)
    differing = [i for i, (a, b) in enumerate(zip(calm, shaken, strict=True)) if a != b]
    assert not differing, (differing[:5], [(calm[i], shaken[i]) for i in differing[:2]])


def assert_insights_match(system, plans, force: str) -> None:
    """The insights figures of ``force`` (the force of ``plans`` alone) equal the hand count from the plans."""
    analyst = system.client("insights", "cps", "analyst", "analyst-f")
    to = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    since = min(p.reported_at for p in plans).date().isoformat()
    hand = expected(plans)

    def converged():
        body = analyst.get(f"/v1/summary?from={since}&to={to}&force={force}").json()
        done = body["prosecutions_completed"] == suppressed(hand["prosecutions_completed"])
        return body if done and body["restraining_orders"] == suppressed(hand["restraining_orders"]) else None

    got = until(converged, f"insights of force {force} to converge", timeout=DELIVERY)
    for name in ("reports", "arrests", "referrals_to_cps", "charged"):
        assert got[name] == suppressed(hand[name]), name
    for name in ("convictions", "unsuccessful"):  # these add up with others: may be hidden as well
        assert agrees(got[name], hand[name]), name


def case_states(system, plans) -> list[tuple]:
    """What each case ended as, in every service: events published (type and count) and final states."""
    urns = [p.urn for p in plans]
    events: dict[str, Counter] = {u: Counter() for u in urns}
    for producer in ("intake", "charging", "court", "support"):
        for row in fetch(
            system,
            producer,
            "SELECT urn, ce_type, count(*) AS n FROM outbox WHERE urn = ANY($1::text[])"
            " AND topic LIKE 'wja.%.case.v1' GROUP BY urn, ce_type",
            urns,
        ):
            events[row["urn"]][row["ce_type"]] = row["n"]
    police = {
        r["urn"]: r["status"]
        for r in fetch(system, "intake", "SELECT urn, status FROM cases WHERE urn = ANY($1)", urns)
    }
    cps = {
        r["urn"]: r["status"]
        for r in fetch(system, "charging", "SELECT urn, status FROM files WHERE urn = ANY($1)", urns)
    }
    court: dict[str, list] = {u: [] for u in urns}
    for r in fetch(
        system,
        "court",
        "SELECT urn, type, status, result FROM hearings WHERE urn = ANY($1) ORDER BY urn, type, status",
        urns,
    ):
        court[r["urn"]].append((r["type"], r["status"], r["result"]))
    verdicts = {
        r["urn"]: (r["verdict"], r["sentence"] is not None, r["discontinued"])
        for r in fetch(
            system, "court", "SELECT urn, verdict, sentence, discontinued FROM cases WHERE urn = ANY($1)", urns
        )
    }
    return [(sorted(events[u].items()), police.get(u), cps.get(u), court[u], verdicts.get(u)) for u in urns]


def test_kill_9_any_service_mid_run_ends_every_case_as_an_undisturbed_run(system):
    calm_plans = journeys.plan(CASES, seed=23, forces=("31",))
    summary = run(system, calm_plans, rate=20, sessions=CASES > 100)
    assert summary.failed == Counter() and summary.completed == CASES
    plans = journeys.plan(CASES, seed=23, forces=("32",))
    kills: Counter = Counter()
    summary = run(system, plans, rate=RATE, disturb=killer(system, kills))
    assert summary.failed == Counter() and summary.completed == CASES, summary
    assert set(kills) == set(SERVICES), kills  # every service was killed at least once
    reports = fetch(system, "intake", "SELECT count(*) AS n FROM cases WHERE force_code = '32'")[0]["n"]
    assert reports == CASES  # retried reports minted no second case
    assert_as_undisturbed(system, calm_plans, plans)
    assert_insights_match(system, plans, "32")
    print(f"\nkill -9 run: {CASES} cases, kills {dict(kills)}, POST retries {summary.retries}, differing cases 0")


def test_poison_is_dead_lettered_the_stream_goes_on_and_fixable_ones_replay(system):
    bootstrap = system.test_stack.bootstrap
    orphan = "09PZ0000126"
    good = "09PZ0000226"

    async def inject():
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            base = [("ce_specversion", b"1.0"), ("ce_source", b"/wja/support")]
            bad = [
                (b'{"urn": "09PZ0000126", "broken', [("ce_id", b"p1"), ("ce_type", b"wja.support.wishes.recorded.v1")]),
                (b'{"urn": "09PZ0000126"}', [("ce_id", b"p2"), ("ce_type", b"wja.support.wishes.recorded.v1")]),
                (b'{"urn": "09PZ0000126"}', [("ce_id", b"p3"), ("ce_type", b"wja.support.unheard.of.v1")]),
            ]
            for value, headers in bad:
                await producer.send_and_wait(
                    "wja.support.case.v1",
                    value,
                    key=orphan.encode(),
                    headers=base + headers + [("ce_subject", orphan.encode())],
                )
            for env in (
                new_envelope(example("wja.support.special_measures.requested.v1", urn=orphan, request_id="sm-orphan")),
                new_envelope(example("wja.charging.decision.made.v1", urn=good, force_code="09")),
            ):
                key, value, headers = to_record(env)
                topic = f"wja.{env.payload.producer}.case.v1"
                await producer.send_and_wait(topic, value, key=key, headers=headers)
        finally:
            await producer.stop()

    asyncio.run(inject())
    court = system.client("court", "court", "listing_officer", "lo-p")
    until(lambda: court.get(f"/v1/cases/{good}/hearings").status_code == 200, "the stream going on")
    operator = system.client("court", "court", "service", "ops")

    def dead():
        rows = [r for r in operator.get("/admin/dlq").json() if r["topic"] == "wja.support.case.v1"]
        orphan_parked = any(r["urn"] == orphan and r["reason"].startswith("parking timeout") for r in rows)
        return rows if orphan_parked and len(rows) >= 3 else None

    rows = until(dead, "poison and the parked orphan dead-lettered", timeout=DELIVERY)
    reasons = " | ".join(r["reason"] for r in rows)
    assert "undecodable" in reasons and "schema-invalid" in reasons and "parking timeout" in reasons
    assert all(r["group_id"] == "wja-court" and r["attempts"] >= 1 and r["topic"] for r in rows)
    ready = operator.get("/readyz").json()
    assert ready["status"] == "ready" and ready["dead_letters"] >= 3
    asyncio.run(_charge(bootstrap, orphan))  # the orphan's case now exists at court
    until(lambda: court.get(f"/v1/cases/{orphan}/hearings").status_code == 200, "the orphan's case at court")
    parked = [r["id"] for r in rows if r["urn"] == orphan and r["reason"].startswith("parking timeout")]
    assert operator.post("/admin/dlq/replay", json={"ids": parked}).json()["replayed"] == len(parked)
    until(
        lambda: fetch(system, "court", "SELECT 1 FROM special_measures WHERE request_id = 'sm-orphan'"),
        "the replayed request applied through the retry topic",
    )


def test_broker_outage_reports_accepted_then_delivered_after_a_new_empty_broker(system):
    police = system.client("intake", "police", "officer", "pc-9", force="01")
    system.test_stack.broker.stop()
    try:
        urns = [ok(police.post("/v1/reports", json=report_body()), 201)["urn"] for _ in range(5)]
        time.sleep(OUTAGE)
        ready = police.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["broker"].startswith("down")
    finally:
        system.test_stack.restart_broker()  # the embedded broker keeps nothing: a new cluster, empty
    for service in system.stack.services:
        until(
            lambda s=service: system.client(s, "police", "officer").get("/readyz").status_code == 200,
            f"{service} ready again",
            timeout=90,
        )

    def delivered():
        rows = fetch(
            system,
            "support",
            "SELECT DISTINCT urn FROM entries WHERE urn = ANY($1::text[])"
            " AND event_type = 'wja.intake.crime.reported.v1'",
            urns,
        )
        return len(rows) == len(urns)

    until(delivered, "reports delivered after the outage", timeout=DELIVERY)
    counts = fetch(
        system,
        "support",
        "SELECT urn, count(*) AS n FROM entries WHERE urn = ANY($1::text[])"
        " AND event_type = 'wja.intake.crime.reported.v1' GROUP BY urn",
        urns,
    )
    assert all(r["n"] == 1 for r in counts)  # republished in full, applied once


def test_postgres_restart_under_load_is_reported_by_readiness_and_loses_nothing(system):
    """PostgreSQL (every service's: the embedded stack runs one server) stopped for ``PG_DOWN``
    seconds and started again while the simulator runs journeys."""
    n = max(CASES // 20, 40)
    calm_plans = journeys.plan(n, seed=29, forces=("33",))
    summary = run(system, calm_plans, rate=20)
    assert summary.failed == Counter() and summary.completed == n
    police = system.client("intake", "police", "officer", "pc-8", force="01")
    pg = system.test_stack.pg
    seen: dict = {}

    def restart_once() -> None:
        if seen:
            return
        pg.stop()
        began = time.monotonic()
        try:
            seen["ready"] = police.get("/readyz").json()["checks"]["database"]
            refused = police.post("/v1/reports", json=report_body())
            seen["refused"] = (refused.status_code, refused.headers.get("retry-after"), "Harriet" in refused.text)
            time.sleep(max(0.0, PG_DOWN - (time.monotonic() - began)))
        finally:
            pg.start()
        print(f"PostgreSQL down for {time.monotonic() - began:.1f} s under load")

    plans = journeys.plan(n, seed=29, forces=("34",))
    summary = run(system, plans, rate=RATE, disturb=restart_once)
    assert seen, "the run ended before PostgreSQL was restarted"
    assert seen["ready"].startswith("down")
    assert seen["refused"][0] == 503 and seen["refused"][1] and not seen["refused"][2]
    assert summary.failed == Counter() and summary.completed == n, summary
    reports = fetch(system, "intake", "SELECT count(*) AS n FROM cases WHERE force_code = '34'")[0]["n"]
    assert reports == n  # a report whose answer was lost with the database was not made twice
    until(lambda: police.get("/readyz").status_code == 200, "intake ready again", timeout=60)
    assert_as_undisturbed(system, calm_plans, plans)
    print(f"\nPostgreSQL restart under load: {n} cases, POST retries {summary.retries}, differing cases 0")


async def _charge(bootstrap: str, urn: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        key, value, headers = to_record(
            new_envelope(example("wja.charging.decision.made.v1", urn=urn, force_code="09"))
        )
        await producer.send_and_wait("wja.charging.case.v1", value, key=key, headers=headers)
    finally:
        await producer.stop()
