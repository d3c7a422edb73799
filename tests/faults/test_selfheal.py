"""Crashes the stack heals from by itself, under load: the supervisor `wja up` runs is the one running here.

Each case drives N journeys (``WJA_FAULT_CASES`` / 10, at least 40) while one thing goes wrong once,
some seconds into the run, and ends with every journey completed, every case as in one shared
undisturbed run of the same plans, every published event on its case's IDVA timeline exactly once
and the insights figures equal to the hand count:

- SIGKILL of the PostgreSQL postmaster (a crash: no shutdown, orphaned backends, crash recovery);
- SIGKILL of the broker (the supervisor starts a new, empty one; the relays republish);
- SIGSTOP of a consuming service with a second replica in its group, past the session timeout,
  then SIGCONT (the group rebalances without it; woken, it must not apply anything twice);
- SIGKILL of the relay leader while it publishes, with a standby replica that takes over.

Recovery figures (restart time, time until every service is ready) are printed; docs/reliability.md
keeps those of the last run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from wja_cli import journeys
from wja_cli.supervise import Supervisor
from wja_cli.testing import free_port
from wja_cli.up import Stack

from ..e2e.helpers import until
from .test_faults import CASES, DELIVERY, RATE, assert_as_undisturbed, assert_insights_match, fetch, run

N = max(CASES // 10, 40)
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(max(600, 8 * N))]
"""Longer than the suite's 300 s: the first case here also runs the shared undisturbed run (and, run
alone, starts the system), and a restart under a loaded machine's CPU takes tens of seconds."""
SEED = 41
CALM_FORCE = "35"
AFTER_GAPS = 3
"""The fault comes at the third pause of the run (``KILL_GAP`` apart, at most a quarter of the time the run takes
to start its journeys): journeys are under way by then."""
READY_WITHIN = 60.0
RESTART_WITHIN = 10.0


@pytest.fixture(scope="module")
def calm_plans(system) -> list[journeys.CasePlan]:
    """One undisturbed run of the plans every case here repeats under its fault (another force)."""
    plans = journeys.plan(N, seed=SEED, forces=(CALM_FORCE,))
    summary = run(system, plans, rate=20)
    assert summary.failed == Counter() and summary.completed == N
    return plans


@pytest.fixture
def supervisor(system) -> Iterator[Supervisor]:
    """The supervisor of `wja up`, watching the test system's PostgreSQL, broker and services."""
    with Supervisor(system.stack, say=lambda message: print(f"supervisor: {message}")).running() as running:
        yield running


def once(action: Callable[[], None]) -> Callable[[], None]:
    """A ``disturb`` for :func:`run` that calls ``action`` at its ``AFTER_GAPS``-th call, and never again."""
    calls = Counter()

    def disturb() -> None:
        calls["n"] += 1
        if calls["n"] == AFTER_GAPS:
            action()

    return disturb


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _readiness(url: str) -> dict | None:
    """The ``/readyz`` body, or None when the service does not answer."""
    try:
        answer = httpx.get(f"{url}/readyz", timeout=2)
        return answer.json() if answer.status_code in (200, 503) else None
    except (httpx.HTTPError, ValueError):
        return None


def all_ready_after(system, began: float, urls: list[str] | None = None, timeout: float = READY_WITHIN + 30) -> float:
    """Seconds from ``began`` until every service (and extra replica ``urls``) answers ``/readyz`` 200.

    The services are polled together (every 0.2 s); which check of which service was the last not to
    be ok, and until when, is printed: where the recovery time goes.
    """
    every = {s: system.url(s) for s in system.stack.services} | {f"replica {i}": u for i, u in enumerate(urls or [])}
    last_down: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(len(every)) as pool:
        while True:
            answers = dict(zip(every, pool.map(_readiness, every.values()), strict=True))
            now = time.monotonic()
            for name, body in answers.items():
                if body is None:
                    last_down[f"{name}: no answer"] = now - began
                elif body["status"] != "ready":
                    for check, state in body["checks"].items():
                        if state != "ok":
                            last_down[f"{name}: {check} {state}"] = now - began
            if all(body is not None and body["status"] == "ready" for body in answers.values()):
                break
            assert now < deadline, f"not every service ready within {timeout:.0f} s: {last_down}"
            time.sleep(0.2)
    slowest = sorted(last_down.items(), key=lambda item: -item[1])[:4]
    told = "; ".join(f"{what} until {at:.1f} s" for what, at in slowest) or "none, at the first poll"
    print(f"\n  last not ready: {told} (ready at {now - began:.1f} s)")
    return now - began


def restart_of(supervisor: Supervisor, part: str, after: float) -> float:
    """Seconds from ``after`` until the supervisor had ``part`` up again."""
    found = until(
        lambda: [r for r in supervisor.restarts if r.part == part and r.found_dead >= after],
        f"the supervisor to restart {part}",
        timeout=RESTART_WITHIN + 50,
    )
    return found[0].up_again - after


def finish(system, calm, plans, summary, force: str) -> None:
    assert summary.failed == Counter() and summary.completed == N, summary
    reports = fetch(system, "intake", "SELECT count(*) AS n FROM cases WHERE force_code = $1", force)[0]["n"]
    assert reports == N  # a report whose answer was lost in the crash was not made twice
    assert_as_undisturbed(system, calm, plans)
    assert_insights_match(system, plans, force)


def test_sigkill_of_the_postmaster_under_load_is_healed_by_the_supervisor(system, calm_plans, supervisor):
    plans = journeys.plan(N, seed=SEED, forces=("36",))
    figures: dict[str, float] = {}

    def crash() -> None:
        pg = system.stack.pg
        old = pg.proc
        began = time.monotonic()
        os.kill(old.pid, signal.SIGKILL)
        until(lambda: pg.proc is not old, "a new postmaster", timeout=RESTART_WITHIN + 50)
        figures["restart"] = time.monotonic() - began
        figures["accepting"] = restart_of(supervisor, "PostgreSQL", began)
        figures["ready"] = all_ready_after(system, began)

    summary = run(system, plans, rate=RATE, disturb=once(crash))
    assert figures, "the run ended before PostgreSQL was killed"
    print(
        f"\npostmaster SIGKILL: new postmaster after {figures['restart']:.1f} s, accepting connections (crash"
        f" recovery done) after {figures['accepting']:.1f} s, all services ready after {figures['ready']:.1f} s"
    )
    assert figures["restart"] < RESTART_WITHIN and figures["ready"] < READY_WITHIN, figures
    finish(system, calm_plans, plans, summary, "36")
    print(f"{N} cases, POST retries {summary.retries}, differing cases 0")


def test_sigkill_of_the_broker_under_load_is_healed_by_the_supervisor(system, calm_plans, supervisor):
    plans = journeys.plan(N, seed=SEED, forces=("37",))
    figures: dict[str, float] = {}
    old_cluster = system.stack.broker.cluster_id

    def crash() -> None:
        began = time.monotonic()
        os.kill(system.stack.broker.proc.pid, signal.SIGKILL)
        figures["restart"] = restart_of(supervisor, "the broker", began)
        figures["ready"] = all_ready_after(system, began)

    summary = run(system, plans, rate=RATE, disturb=once(crash))
    assert figures, "the run ended before the broker was killed"
    assert system.stack.broker.cluster_id != old_cluster  # a new, empty broker: everything came from the outboxes
    print(f"\nbroker SIGKILL: restarted after {figures['restart']:.1f} s, all ready after {figures['ready']:.1f} s")
    assert figures["restart"] < RESTART_WITHIN and figures["ready"] < READY_WITHIN, figures
    finish(system, calm_plans, plans, summary, "37")
    print(f"{N} cases, POST retries {summary.retries}, differing cases 0")


@pytest.fixture
def replica(system):
    """Start a second process of a service (same database, same consumer group) on its own port."""
    started: list[Stack] = []

    def start(service: str) -> str:
        extra = Stack(
            state_dir=system.stack.state_dir,
            ports={**system.stack.ports, service: free_port()},
            services=[service],
            extra_env=system.stack.extra_env,
        )
        extra.pg, extra.broker = system.stack.pg, system.stack.broker
        started.append(extra)
        extra.start_service(service)
        extra.wait_ready(service, timeout=90)
        return f"http://127.0.0.1:{extra.ports[service]}"

    yield start
    for extra in started:
        for service in list(extra.procs):
            extra.stop_service(service)


def group_members(system, group: str) -> int:
    async def describe() -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=system.stack.broker.bootstrap)
        await admin.start()
        try:
            [answer] = await admin.describe_consumer_groups([group])
            [found] = answer.groups
            return len(found[5]) if found[2] == "Stable" else -1  # (error, group, state, type, protocol, members)
        finally:
            await admin.close()

    return asyncio.run(describe())


def test_sigstop_past_the_session_timeout_rebalances_and_the_woken_member_applies_nothing_twice(
    system, calm_plans, supervisor, replica
):
    standby = replica("support")
    until(lambda: group_members(system, "wja-support") == 2, "both support processes in the group", timeout=60)
    until(lambda: ready(system.url("support")) and ready(standby), "both support processes with partitions")
    plans = journeys.plan(N, seed=SEED, forces=("38",))
    figures: dict[str, float] = {}

    def freeze() -> None:
        proc = system.stack.procs["support"]
        began = time.monotonic()
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            # the coordinator drops the silent member after its session timeout and gives its partitions
            # to the other: the frozen one may hold a fetched batch, even an open transaction
            until(lambda: group_members(system, "wja-support") == 1, "the group to rebalance without it", timeout=60)
            figures["rebalanced"] = time.monotonic() - began
            time.sleep(1.0)
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        figures["stopped"] = time.monotonic() - began
        until(lambda: group_members(system, "wja-support") == 2, "the woken member back in the group", timeout=60)
        figures["rejoined"] = time.monotonic() - began

    summary = run(system, plans, rate=RATE, disturb=once(freeze))
    assert figures, "the run ended before support was stopped"
    assert system.stack.procs["support"].poll() is None  # woken, not restarted: the same member came back
    print(
        f"\nSIGSTOP of support for {figures['stopped']:.1f} s: group rebalanced after {figures['rebalanced']:.1f} s,"
        f" the woken member rejoined after {figures['rejoined']:.1f} s"
    )
    finish(system, calm_plans, plans, summary, "38")
    print(f"{N} cases, POST retries {summary.retries}, differing cases 0")


def published_by(url: str, service: str) -> float:
    """This process's ``wja_outbox_published_total`` (rows its relay published)."""
    metric = f'wja_outbox_published_total{{service="{service}"}} '
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith(metric):
            return float(line.split()[-1])
    return 0.0


def test_sigkill_of_the_relay_leader_while_publishing_hands_over_to_the_standby(
    system, calm_plans, supervisor, replica
):
    standby = replica("intake")
    leader = system.url("intake")
    assert published_by(leader, "intake") > 0 and published_by(standby, "intake") == 0  # the first one leads
    plans = journeys.plan(N, seed=SEED, forces=("39",))
    figures: dict[str, float] = {}

    def crash() -> None:
        backlog = "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
        deadline = time.monotonic() + 5
        while fetch(system, "intake", backlog)[0]["n"] == 0 and time.monotonic() < deadline:
            pass  # kill it with rows still to publish when we can catch it so
        os.kill(system.stack.procs["intake"].pid, signal.SIGKILL)
        began = time.monotonic()
        figures["backlog"] = fetch(system, "intake", backlog)[0]["n"]
        until(lambda: published_by(standby, "intake") > 0, "the standby to publish", timeout=30)
        figures["takeover"] = time.monotonic() - began
        # a figure, not a limit: the killed process's own restart (a Python start-up and a rebalance of a
        # three-member group) is what takes long on a loaded machine, and the standby publishes meanwhile
        figures["ready"] = all_ready_after(system, began, [standby], timeout=DELIVERY)

    summary = run(system, plans, rate=RATE, disturb=once(crash))
    assert figures, "the run ended before the relay leader was killed"
    print(
        f"\nrelay leader SIGKILL ({figures['backlog']:.0f} rows unpublished): the standby published after"
        f" {figures['takeover']:.1f} s, all ready after {figures['ready']:.1f} s"
    )
    finish(system, calm_plans, plans, summary, "39")
    print(f"{N} cases, POST retries {summary.retries}, differing cases 0")
