"""The ``wja`` command."""

from __future__ import annotations

import time
import warnings
from datetime import datetime
from typing import Annotated

import httpx
import typer
from rich.console import Console

from wja_cli import config

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

app = typer.Typer(help="Whole Justice: run the embedded stack and operate it.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters of a consuming service.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
insights_app = typer.Typer(help="The insights projection.", no_args_is_help=True)
app.add_typer(insights_app, name="insights")
console = Console()
err = Console(stderr=True)

PRODUCERS = ("intake", "charging", "court", "support")
CONSUMERS = ("intake", "charging", "court", "support", "insights")


@app.command()
def setup() -> None:
    """Create the state directory with the dev signing key, the dev data key and the dev pseudonym key."""
    from wja_platform import auth, crypto

    state = config.state_dir()
    auth.ensure_dev_key(state)
    crypto.Keyring.from_settings("", None, state, "dev")
    crypto.pseudonym_key("", None, state, "dev")
    console.print(f"state directory ready: {state}")


@app.command()
def up(
    services: Annotated[str | None, typer.Option(help="Comma-separated services to start (default: all)")] = None,
) -> None:
    """Start PostgreSQL, the broker and every service; Ctrl-C stops everything."""
    from wja_cli import up as stack_up

    stack_up.run(config.state_dir(), services.split(",") if services else None)


@app.command()
def token(
    agency: Annotated[str, typer.Option(help="police, cps, court or idva")],
    role: Annotated[
        str, typer.Option(help="e.g. officer, supervisor, prosecutor, listing_officer, idva, manager, analyst, service")
    ],
    sub: Annotated[str, typer.Option(help="who the token names")],
    force: Annotated[str | None, typer.Option(help="limit a police caller to a force")] = None,
    team: Annotated[str | None, typer.Option(help="IDVA team")] = None,
    ttl: Annotated[str, typer.Option(help="lifetime, e.g. 8h, 30m")] = "8h",
) -> None:
    """Print only a JWT the embedded stack accepts."""
    from wja_cli import tokens

    try:
        typer.echo(tokens.mint(agency, role, sub, force, team, ttl))
    except ValueError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None


@app.command()
def trace(urn: str) -> None:
    """Show a case's spans across all services as trees (service, operation, duration)."""
    from wja_cli import traces

    spans = traces.case_spans(traces.load_spans(config.state_dir() / "traces"), urn)
    if not spans:
        err.print(f"no spans found for {urn} under {config.state_dir() / 'traces'}")
        raise typer.Exit(1)
    for tree in traces.build_trees(spans):
        console.print(tree)
    console.print(f"\n{len(spans)} spans from {', '.join(sorted(traces.services_in(spans)))}")


def _admin(service: str, method: str, path: str, json: object = None) -> object:
    from wja_cli import tokens

    url = config.service_url(service) + path
    try:
        response = httpx.request(method, url, json=json, headers=tokens.service_headers(), timeout=30)
    except httpx.HTTPError as exc:
        err.print(f"error: cannot reach wja-{service} at {url} ({type(exc).__name__}); is it running?")
        raise typer.Exit(1) from None
    if response.status_code >= 400:
        err.print(f"error: wja-{service} answered {response.status_code}: {response.text}")
        raise typer.Exit(1)
    return response.json()


ServiceOpt = Annotated[str, typer.Option("--service", "-s", help="the consuming service")]
IdsOpt = Annotated[list[int] | None, typer.Option("--id", help="dead letter id (repeatable; default: all open)")]


@dlq_app.command("list")
def dlq_list(service: ServiceOpt, status: str = "open") -> None:
    """List dead letters: origin (topic/partition/offset/group), attempts and reason."""
    rows = _admin(service, "GET", f"/admin/dlq?status={status}")
    assert isinstance(rows, list)
    for row in rows:
        console.print(
            f"{row['id']:>6}  {row['created_at'][:19]}  {row['topic']}[{row['partition']}]@{row['offset']}"
            f"  {row['ce_type'] or '-'}  {row['urn'] or '-'}  attempts={row['attempts']}  {row['reason']}"
        )
    console.print(f"{len(rows)} {status} dead letter(s) in wja-{service}")


@dlq_app.command("replay")
def dlq_replay(service: ServiceOpt, ids: IdsOpt = None) -> None:
    """Send dead letters back through the consumer's own retry topic."""
    console.print(_admin(service, "POST", "/admin/dlq/replay", {"ids": ids}))


@dlq_app.command("purge")
def dlq_purge(service: ServiceOpt, ids: IdsOpt = None) -> None:
    """Drop dead letters for good."""
    console.print(_admin(service, "POST", "/admin/dlq/purge", {"ids": ids}))


@app.command()
def replay(
    producer: Annotated[str, typer.Option(help="intake, charging, court or support")],
    since: Annotated[datetime | None, typer.Option(help="only events created at or after (ISO time)")] = None,
) -> None:
    """Republish a producer's outbox (its retained log); consumers' inboxes absorb repeats."""
    if producer not in PRODUCERS:
        err.print(f"error: --producer must be one of {', '.join(PRODUCERS)}")
        raise typer.Exit(2)
    body = {"since": since.isoformat() if since else None}
    console.print(_admin(producer, "POST", "/admin/replay", body))


@app.command()
def report(
    quarter: Annotated[str, typer.Option(help="2026-27Q2 (financial, as the CPS publishes) or 2026Q3")],
    force: Annotated[str | None, typer.Option(help="two-digit force code")] = None,
) -> None:
    """Print the outcome measures of a quarter (from the insights service)."""
    from wja_cli import tokens

    params = {"quarter": quarter} | ({"force": force} if force else {})
    headers = {"Authorization": f"Bearer {tokens.mint('cps', 'analyst', 'wja-cli', ttl='5m')}"}
    try:
        r = httpx.get(config.service_url("insights") + "/v1/summary", params=params, headers=headers, timeout=30)
    except httpx.HTTPError:
        err.print("error: cannot reach wja-insights; is it running?")
        raise typer.Exit(1) from None
    if r.status_code != 200:
        err.print(f"error: {r.status_code} {r.text}")
        raise typer.Exit(1)
    for key, value in r.json().items():
        console.print(f"{key:<32} {value}")


@insights_app.command("rebuild")
def insights_rebuild() -> None:
    """Empty the insights projection and rebuild it by replaying every producer's outbox."""
    from rich.progress import Progress

    _admin("insights", "POST", "/admin/rebuild")
    total = 0
    for producer in PRODUCERS:
        result = _admin(producer, "POST", "/admin/replay", {"since": None})
        assert isinstance(result, dict)
        total += int(result["republished"])
    from wja_cli import tokens

    headers = {"Authorization": f"Bearer {tokens.mint('cps', 'analyst', 'wja-cli', ttl='1h')}"}
    with Progress(console=console) as progress:
        task = progress.add_task("replaying into insights", total=total)
        stable, last = 0, -1
        while stable < 5:
            applied = httpx.get(config.service_url("insights") + "/v1/status", headers=headers, timeout=10).json()
            progress.update(task, completed=min(applied["events_applied"], total))
            stable = stable + 1 if applied["events_applied"] == last else 0
            last = applied["events_applied"]
            time.sleep(0.5)
    console.print(f"rebuilt from {total} events: {last} applied")


@app.command()
def status(
    watch: Annotated[bool, typer.Option("--watch", help="refresh the screen until Ctrl-C")] = False,
    interval: Annotated[float, typer.Option(help="seconds between refreshes with --watch")] = 5.0,
    bootstrap: Annotated[
        str | None, typer.Option(help="the broker (default: $KAFKA_BOOTSTRAP_SERVERS or the embedded stack's)")
    ] = None,
    max_lag: Annotated[int, typer.Option(help="a group further behind than this many records is wrong")] = 100,
    max_outbox_age: Annotated[float, typer.Option(help="an outbox row unpublished longer (seconds) is wrong")] = 60.0,
    timeout: Annotated[float, typer.Option(help="seconds to wait for each service")] = 3.0,
) -> None:
    """Each service ready or not and why, consumer lag, outbox backlog, dead letters, overdue notices.

    Exits 1 when something is wrong (usable in scripts), else 0.
    """
    import asyncio
    import logging
    import os
    from collections.abc import Awaitable

    from rich.live import Live

    from wja_cli import status as st

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # an unreachable broker is on the screen already

    broker = bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{config.BROKER_PORT}"
    urls = {s: config.service_url(s) for s in CONSUMERS}
    groups = {s: f"wja-{s}" for s in CONSUMERS}
    limits = st.Limits(max_lag=max_lag, max_outbox_age=max_outbox_age)

    def look() -> Awaitable[st.Snapshot]:
        return st.collect(urls, broker, groups, limits=limits, timeout=timeout)

    try:
        snapshot = asyncio.run(look())
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if not watch:
        console.print(st.render(snapshot))
    elif console.is_terminal:  # one screen, redrawn in place
        with Live(st.render(snapshot), console=console, auto_refresh=False) as live:
            show = lambda s: live.update(st.render(s), refresh=True)  # noqa: E731
            snapshot = asyncio.run(st.watch(look, snapshot, show, interval))
    else:  # a pipe or a log: one dated screen after another

        def dated(s: st.Snapshot) -> None:
            console.print(f"--- {datetime.now().astimezone().isoformat(timespec='seconds')}")
            console.print(st.render(s))

        snapshot = asyncio.run(st.watch(look, snapshot, dated, interval))
    raise typer.Exit(1 if snapshot.problems() else 0)


@app.command()
def simulate(
    cases: Annotated[int, typer.Option(help="how many case journeys")] = 100,
    days: Annotated[int, typer.Option(help="simulated days over which the cases are reported")] = 365,
    start: Annotated[
        datetime | None, typer.Option(help="simulated start (default: the next financial quarter, 09:00 London)")
    ] = None,
    realtime: Annotated[bool, typer.Option(help="no simulated time: the old run over the past 60 days")] = False,
    check: Annotated[bool, typer.Option(help="check insights' figures against the plans at the end")] = True,
    rate: Annotated[float, typer.Option(help="cases started per second")] = 10.0,
    seed: Annotated[int, typer.Option(help="random seed of the outcome mix and the intervals")] = 1,
    concurrency: Annotated[int, typer.Option(help="journeys in flight at most")] = 40,
    sessions: Annotated[bool, typer.Option(help="create court sessions first")] = True,
    step_timeout: Annotated[float, typer.Option(help="seconds a step waits for its event downstream")] = 60.0,
) -> None:
    """Drive realistic journeys through the public APIs in simulated time, then check insights' figures."""
    import asyncio
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    from wja_platform import simtime

    from wja_cli import journeys, pace, timed, tokens
    from wja_cli import simulate as sim

    run = None
    if realtime:
        plans = journeys.plan(cases, seed=seed)
    else:
        begin = pace.default_start() if start is None else start.astimezone(pace.LONDON)
        plans = journeys.plan(cases, seed=seed, start=begin, days=days)
        key = simtime.secret_for(tokens.dev_key(), os.environ.get("WJA_SIMULATION_SECRET", ""))
        run = timed.TimedRun(key, begin, days + 240, ("01",), seed=seed)
    urls = {s: config.service_url(s) for s in ("intake", "charging", "court", "support")}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("journeys", total=cases)
        summary = asyncio.run(
            sim.simulate(
                plans,
                urls,
                tokens.dev_key(),
                rate=rate,
                concurrency=concurrency,
                sessions=sessions,
                step_timeout=step_timeout,
                on_done=lambda _p, _o: progress.advance(task),
                timed=run,
            )
        )
    console.print(
        f"\n{summary.completed}/{summary.cases} journeys completed in {summary.seconds:.1f}s "
        f"({summary.completed / max(summary.seconds, 1e-9):.1f}/s)"
    )
    for outcome, n in summary.outcomes.most_common():
        console.print(f"  {n:>6}  {outcome}")
    if summary.failed:
        console.print("[red]failed steps:[/red]")
        for step, n in summary.failed.most_common():
            console.print(f"  {n:>6}  {step}")
    checked = run is None or not check or _check_insights(plans)  # what did happen is checked all the same
    if summary.failed or not checked:
        raise typer.Exit(1)


def _check_insights(plans: list) -> bool:
    """Print the figures insights should show, quarter by quarter, and whether it does."""
    import asyncio

    from wja_cli import expected, tokens

    rows = asyncio.run(expected.check(plans, config.service_url("insights"), tokens.dev_key()))
    ok = True
    console.print("\nExpected figures (from the plans) and insights' GET /v1/summary, by quarter:")
    for quarter, want, _got, wrong, withheld in rows:
        days, told = want["days_request_to_decision"], want["notifications"]
        console.print(
            f"  {quarter}: reports {want['reports']}, arrests {want['arrests']}, referrals {want['referrals_to_cps']},"
            f" charged {want['charged']}, NFA {want['no_further_action']}, OOCD {want['out_of_court_disposal']},"
            f" completed {want['prosecutions_completed']}, convictions {want['convictions']},"
            f" days to decision mean {days['mean']} median {days['median']} ({days['cases']} decisions),"
            f" told {told['told']} of which on time {told['within_deadline']} ({told['share_within_deadline']})"
            f" - {'[green]matches[/green]' if not wrong else '[red]MISMATCH[/red]'}"
            + (f" ({len(withheld)} figures withheld by suppression)" if withheld else "")
        )
        for line in wrong:
            console.print(f"      {line}")
        ok = ok and not wrong
    console.print(f"Obligations overdue at the end of the simulation (never told): {_overdue(plans)}")
    return ok


def _overdue(plans: list) -> int:
    """Overdue obligations on the simulator's IDVA team's caseload, 30 days after its last step."""
    import os
    from datetime import timedelta

    from wja_platform import auth, simtime

    from wja_cli import expected, timed, tokens

    key = tokens.dev_key()
    end = expected.last_time(plans) + timedelta(days=30)
    signed = simtime.sign(simtime.secret_for(key, os.environ.get("WJA_SIMULATION_SECRET", "")), end)
    token = auth.mint(key, sub="mgr-sim", agency="idva", role="manager", team=timed.SIM_TEAM, ttl_seconds=300)
    headers = {"Authorization": f"Bearer {token}", simtime.HEADER: signed}
    caseload = httpx.get(f"{config.service_url('support')}/v1/caseload", headers=headers, timeout=30).json()
    return sum(c["overdue"] for c in caseload)


if __name__ == "__main__":
    app()
