"""`wja status`: the state of the running system on one screen, and an exit code for scripts.

Each service's ``/readyz`` (ready or not, and which check fails) and ``/metrics`` (outbox backlog
and the age of its oldest row, open dead letters by kind, Victims' Code notices due and overdue);
the lag of every consumer group read from the broker (so a stopped or hung consumer still shows
its lag). No token is needed: these endpoints are open (keep the ports private).
"""

from __future__ import annotations

import asyncio
import importlib
import signal
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Group
from rich.table import Table
from rich.text import Text
from wja_platform import tasks
from wja_platform.lag import LagProbe, PartitionLag
from wja_schemas.topics import case_topic, retry_topic


@dataclass
class ServiceState:
    """What one service says about itself."""

    name: str
    url: str
    reachable: bool = False
    ready: bool = False
    why: str = ""
    dead_letters: dict[str, int] = field(default_factory=dict)
    outbox_backlog: int | None = None
    outbox_oldest_seconds: float | None = None
    obligations: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Support only: duty holder → (due, overdue)."""


@dataclass
class Limits:
    """Above these, something is wrong."""

    max_lag: int = 100
    max_outbox_age: float = 60.0


@dataclass
class Snapshot:
    services: list[ServiceState]
    lag: list[PartitionLag]
    lag_errors: dict[str, str]
    limits: Limits

    def group_lag(self) -> dict[tuple[str, str], int]:
        """(group, topic) → records behind, over the topic's partitions."""
        out: dict[tuple[str, str], int] = {}
        for p in self.lag:
            out[(p.group, p.topic)] = out.get((p.group, p.topic), 0) + p.lag
        return out

    def problems(self) -> list[str]:
        """Everything wrong, one line each (empty: all is well)."""
        found: list[str] = []
        for s in self.services:
            if not s.reachable:
                found.append(f"wja-{s.name} does not answer ({s.why})")
            elif not s.ready:
                found.append(f"wja-{s.name} is not ready: {s.why}")
            if sum(s.dead_letters.values()):
                kinds = ", ".join(f"{n} {k}" for k, n in sorted(s.dead_letters.items()) if n)
                found.append(f"wja-{s.name} has open dead letters: {kinds}")
            if s.outbox_oldest_seconds is not None and s.outbox_oldest_seconds > self.limits.max_outbox_age:
                found.append(f"wja-{s.name}'s oldest unpublished outbox row is {s.outbox_oldest_seconds:.0f} s old")
            for holder, (_due, overdue) in sorted(s.obligations.items()):
                if overdue:
                    found.append(f"{overdue} Victims' Code notice(s) overdue ({holder})")
        totals: dict[str, int] = {}
        for (group, _topic), n in self.group_lag().items():
            totals[group] = totals.get(group, 0) + n
        found += [f"{g} is {n} records behind" for g, n in sorted(totals.items()) if n > self.limits.max_lag]
        found += [f"lag of {g} unknown: {why}" for g, why in sorted(self.lag_errors.items())]
        return found


def consumed_topics(service: str) -> list[str] | None:
    """The topics ``service``'s group reads (from its settings class), or None if it is not installed."""
    try:
        module = importlib.import_module(f"wja_{service}.config")
    except ImportError:
        return None
    settings = getattr(module, f"{service.capitalize()}Settings")
    return [case_topic(p) for p in settings.consumes] + [retry_topic(service)]


def _metrics(text: str, service: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("service", service) == service:
                out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


async def service_state(client: httpx.AsyncClient, name: str, url: str) -> ServiceState:
    state = ServiceState(name, url)
    try:
        ready = await client.get(f"{url}/readyz")
        metrics = await client.get(f"{url}/metrics")
    except httpx.HTTPError as exc:
        state.why = type(exc).__name__
        return state
    state.reachable = True
    try:
        body = ready.json()
        checks = body.get("checks", {})
    except ValueError:
        checks = {}
    state.ready = ready.status_code == 200
    failing = [f"{k}: {v}" for k, v in checks.items() if v != "ok"]
    state.why = "; ".join(failing) if failing else ("" if state.ready else f"/readyz answered {ready.status_code}")
    found = _metrics(metrics.text, name) if metrics.status_code == 200 else {}
    state.dead_letters = {labels["kind"]: int(v) for labels, v in found.get("wja_dead_letters_open", [])}
    for _labels, value in found.get("wja_outbox_backlog", []):
        state.outbox_backlog = int(value)
    for _labels, value in found.get("wja_outbox_oldest_unpublished_age_seconds", []):
        state.outbox_oldest_seconds = value
    due = {labels["duty_holder"]: int(v) for labels, v in found.get("wja_obligations_due", [])}
    overdue = {labels["duty_holder"]: int(v) for labels, v in found.get("wja_obligations_overdue", [])}
    state.obligations = {h: (due.get(h, 0), overdue.get(h, 0)) for h in sorted(due | overdue)}
    return state


async def group_lag(bootstrap: str, group: str, topics: Iterable[str]) -> list[PartitionLag]:
    probe = LagProbe(bootstrap, group, client_id="wja-status")
    try:
        return await probe.lag(topics)
    finally:
        await probe.close()


async def collect(
    urls: dict[str, str],
    bootstrap: str,
    groups: dict[str, str],
    *,
    limits: Limits | None = None,
    timeout: float = 3.0,
) -> Snapshot:
    """One look at everything. ``urls``: service → base URL; ``groups``: consuming service → its group id."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        states = await asyncio.gather(*(service_state(client, s, u) for s, u in urls.items()))
    lag: list[PartitionLag] = []
    errors: dict[str, str] = {}
    for service, group in groups.items():
        topics = consumed_topics(service)
        if topics is None:
            continue
        try:
            lag += await asyncio.wait_for(group_lag(bootstrap, group, topics), timeout * 3)
        except Exception as exc:
            errors[group] = type(exc).__name__
    return Snapshot(list(states), lag, errors, limits or Limits())


async def watch(
    look: Callable[[], Awaitable[Snapshot]], first: Snapshot, show: Callable[[Snapshot], None], interval: float
) -> Snapshot:
    """Show ``first``, then a new look every ``interval`` seconds, until SIGINT (Ctrl-C); return the last look.

    Ctrl-C is a signal handler of the event loop here, not a KeyboardInterrupt raised into whatever runs:
    raised in the middle of a look, that interrupt became a cancellation that a broker client could
    swallow, and the watch went on. Now it ends the watch wherever it lands (a look under way is cancelled).
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        snapshot = first
        while True:
            show(snapshot)
            if await tasks.woken(stop, interval):
                return snapshot
            looking, stopping = asyncio.ensure_future(look()), asyncio.ensure_future(stop.wait())
            await asyncio.wait({looking, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not looking.done():
                looking.cancel()
                return snapshot
            snapshot = looking.result()
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def render(snapshot: Snapshot) -> Group:
    """The screen: services, consumer lag, Victims' Code notices, and what is wrong."""
    services = Table(title="Services", title_justify="left", expand=False)
    for column in ("service", "ready", "why", "outbox backlog", "oldest unpublished", "dead letters"):
        services.add_column(column)
    for s in snapshot.services:
        ready = Text("ready", "green") if s.ready else Text("NOT READY" if s.reachable else "DOWN", "bold red")
        oldest = "-" if s.outbox_oldest_seconds is None else f"{s.outbox_oldest_seconds:.0f} s"
        oldest_style = "red" if (s.outbox_oldest_seconds or 0) > snapshot.limits.max_outbox_age else ""
        dead = ", ".join(f"{n} {k}" for k, n in sorted(s.dead_letters.items()) if n) or "0"
        services.add_row(
            s.name,
            ready,
            s.why or "",
            "-" if s.outbox_backlog is None else str(s.outbox_backlog),
            Text(oldest, oldest_style),
            Text(dead, "bold red" if dead != "0" else ""),
        )
    lag = Table(title="Consumer lag (records not yet committed)", title_justify="left")
    for column in ("group", "topic", "lag"):
        lag.add_column(column)
    for (group, topic), n in sorted(snapshot.group_lag().items()):
        lag.add_row(group, topic, Text(str(n), "bold red" if n > snapshot.limits.max_lag else ("yellow" if n else "")))
    for group, why in sorted(snapshot.lag_errors.items()):
        lag.add_row(group, "-", Text(f"unknown ({why})", "red"))
    notices = Table(title="Victims' Code notices not yet given", title_justify="left")
    for column in ("duty holder", "due", "overdue"):
        notices.add_column(column)
    for s in snapshot.services:
        for holder, (due, overdue) in s.obligations.items():
            notices.add_row(holder, str(due), Text(str(overdue), "bold red" if overdue else ""))
    problems = snapshot.problems()
    verdict = (
        Text("\n".join(["Something is wrong:", *(f"  - {p}" for p in problems)]), "bold red")
        if problems
        else Text("All well.", "bold green")
    )
    return Group(services, lag, notices, verdict)
