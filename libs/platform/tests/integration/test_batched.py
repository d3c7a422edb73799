"""Set-based handlers (``Batched``) on the real database: runs keep the order, each event is applied once,
has its own span in its own trace, and a failing run costs only its bad event."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from wja_cli.testing import serve_app
from wja_platform import consumer as consumer_module
from wja_platform import outbox, spans
from wja_platform.app import ServiceSpec, make_app
from wja_platform.consumer import Batched, Record
from wja_schemas import new_envelope, to_record

from .conftest import SQL, crime, group_suffix, new_urn, probe_settings

pytestmark = pytest.mark.integration
TRACE = "00-{:032x}-{:016x}-01"


def named(urn: str, name: str, n: int):
    event = crime(urn)
    event = event.model_copy(update={"suspect": event.suspect.model_copy(update={"name": name})})
    return new_envelope(event).with_trace({"traceparent": TRACE.format(0xA000 + n, 0xB000 + n)})


def record(env, offset: int) -> Record:
    key, value, headers = to_record(env)
    return Record("wja.intake.case.v1", 0, offset, key, value, tuple(headers))


class Calls:
    """What the handlers were given, in order: ("one", name) or ("run", [names])."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    async def one(self, conn, env) -> None:
        await self._apply(conn, [env])
        self.seen.append(("one", env.payload.suspect.name))

    async def run(self, conn, envs) -> None:
        await self._apply(conn, envs)
        self.seen.append(("run", [e.payload.suspect.name for e in envs]))

    async def _apply(self, conn, envs) -> None:
        if any(e.payload.suspect.name == "always-fails" for e in envs):
            raise ValueError("boom")
        await conn.executemany(
            "INSERT INTO applied (event_key, urn) VALUES ($1, $2)", [(e.idempotency_key, e.subject) for e in envs]
        )


def captured(monkeypatch) -> InMemorySpanExporter:
    """The consumer's spans, in memory: those it starts with the SDK's tracer and those it makes without
    (:func:`wja_platform.spans.recorded_span`, which goes to the provider set up as the process's: called once the
    app has started, which sets that one up)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(consumer_module, "tracer", provider.get_tracer("test"))
    monkeypatch.setattr(spans, "_provider", provider)
    return exporter


def app_with(stack, calls: Calls):
    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    batched = Batched(lambda env: not env.payload.suspect.name.startswith("solo"), calls.run)
    return make_app(ServiceSpec(settings=settings, migrations=SQL, handler=calls.one, batched=batched)), settings


async def test_runs_keep_the_order_and_a_redelivered_batch_has_no_second_effect(stack, monkeypatch):
    calls = Calls()
    app, _ = app_with(stack, calls)
    names = ["a", "b", "solo-c", "d", "e", "f", "solo-g", "h"]
    envs = [named(new_urn(700 + i % 3), name, i) for i, name in enumerate(names)]
    async with serve_app(app):
        exporter = captured(monkeypatch)
        consumer = app.state.runtime.consumer
        await consumer.process([record(e, i) for i, e in enumerate(envs)])
        await consumer.process([record(e, i) for i, e in enumerate(envs)])  # redelivered after a crash
        rows = await app.state.runtime.pool.fetch("SELECT event_key FROM applied ORDER BY seq")
    assert calls.seen == [
        ("run", ["a", "b"]),
        ("one", "solo-c"),
        ("run", ["d", "e", "f"]),
        ("one", "solo-g"),
        ("one", "h"),  # a run of one goes to the per-event handler
    ]
    assert [r["event_key"] for r in rows] == [e.idempotency_key for e in envs]
    applies = [s for s in exporter.get_finished_spans() if s.name.startswith("probe.apply")]
    assert sorted(s.context.trace_id for s in applies) == [0xA000 + i for i in range(len(names))]
    by_trace = {s.context.trace_id: s for s in applies}
    assert by_trace[0xA000 + 3].parent.span_id == 0xB000 + 3  # the event's own trace, under its producer
    assert by_trace[0xA000 + 3].attributes["wja.run.events"] == 3


async def test_a_failing_run_costs_only_its_bad_event(stack):
    calls = Calls()
    app, settings = app_with(stack, calls)
    names = ["a", "always-fails", "b"]
    envs = [named(new_urn(710 + i), name, i) for i, name in enumerate(names)]
    async with serve_app(app):
        runtime = app.state.runtime
        await runtime.consumer.process([record(e, i) for i, e in enumerate(envs)])
        applied = {r["urn"] for r in await runtime.pool.fetch("SELECT urn FROM applied")}
        dead = await runtime.pool.fetch("SELECT urn, attempts FROM dead_letters")
    assert applied == {envs[0].subject, envs[2].subject}
    assert [(r["urn"], r["attempts"]) for r in dead] == [(envs[1].subject, settings.consumer_max_attempts)]


async def test_what_a_run_publishes_goes_on_in_the_trace_of_its_cause(stack, monkeypatch):
    async def run(conn, envs) -> None:  # one follow-up per event, published in reverse: the order must not matter
        for env in reversed(envs):
            await outbox.add(conn, new_envelope(env.payload, causationid=env.id), topic="wja.probe.out.v1")

    settings = probe_settings(stack, stack.new_database("probe"), consumer_group=f"g-{group_suffix()}")
    app = make_app(ServiceSpec(settings=settings, migrations=SQL, handler=Calls().one, batched=Batched(bool, run)))
    envs = [named(new_urn(720 + i), name, i) for i, name in enumerate(["a", "b", "c"])]
    async with serve_app(app):
        exporter = captured(monkeypatch)
        await app.state.runtime.consumer.process([record(e, i) for i, e in enumerate(envs)])
        rows = await app.state.runtime.pool.fetch("SELECT headers FROM outbox WHERE topic = 'wja.probe.out.v1'")
    applied = {s.context.trace_id: s.context.span_id for s in exporter.get_finished_spans() if "apply" in s.name}
    parents = {}
    for row in rows:
        headers = dict(row["headers"])
        _, trace_id, span_id, _ = headers["traceparent"].split("-")
        parents[headers["ce_causationid"]] = (int(trace_id, 16), int(span_id, 16))
    # each follow-up is a child of its cause's consumer span, in its cause's trace (not the batch's)
    assert parents == {env.id: (0xA000 + i, applied[0xA000 + i]) for i, env in enumerate(envs)}
