"""The service runtime: one FastAPI app per service with its pool, broker, relay and consumer.

A service describes itself with a :class:`ServiceSpec` (settings, migrations, HTTP routers,
event handler, background jobs); :func:`make_app` wires the rest, the same for all four:
``/healthz``, ``/readyz``, ``/metrics``, the ``/admin`` operations (dead letters, replay),
the error contract, tracing, migrations at start-up, topic creation, the outbox relay and the
effectively-once consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field, StrictInt
from starlette.types import ASGIApp
from wja_schemas.topics import case_topic, retry_topic

from wja_platform import (
    assignment,
    auth,
    crypto,
    db,
    deadletters,
    errors,
    heap,
    idempotency,
    messaging,
    metrics,
    opsmetrics,
    redact,
    simtime,
    tasks,
    telemetry,
    web,
)
from wja_platform.consumer import Batched, EventConsumer, Handler
from wja_platform.offsets import Offsets
from wja_platform.relay import OutboxRelay
from wja_platform.settings import ServiceSettings

log = logging.getLogger(__name__)

BackgroundJob = Callable[["Runtime"], Awaitable[None]]


@dataclass
class ServiceSpec:
    """What a service is: everything :func:`make_app` needs to run it."""

    settings: ServiceSettings
    migrations: Path
    routers: Sequence[APIRouter] = ()
    handler: Handler | None = None
    batched: Batched | None = None
    """Optional set-based handler for some of the events (see :class:`wja_platform.consumer.Batched`)."""
    handles: frozenset[str] | None = None
    """The ``ce_type``s ``handler`` acts on; the consumer does not apply the others (None: every type)."""
    background: Sequence[BackgroundJob] = ()
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    extra_state: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    description: str = ""


@dataclass
class Runtime:
    """The live parts of a running service (``request.app.state.runtime``)."""

    spec: ServiceSpec
    pool: asyncpg.Pool
    broker: KafkaBroker
    relay: OutboxRelay
    consumer: EventConsumer | None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    assignor: assignment.CheckedRoundRobin = field(default_factory=assignment.CheckedRoundRobin)
    offsets: Offsets = field(default_factory=lambda: Offsets(0.2))

    @property
    def settings(self) -> ServiceSettings:
        return self.spec.settings

    def subscribers_assigned(self) -> bool:
        """True when every subscriber's consumer has partitions assigned (and the broker's answer was not stale)."""
        if self.assignor.stale_since is not None:
            return False
        for sub in self.broker.subscribers:
            consumer = getattr(sub, "consumer", None)
            if consumer is None or not consumer.assignment():
                return False
        return True

    async def broker_down(self) -> str | None:
        """Why the broker did not answer a metadata request within 2 s (the error's type); None when it did."""
        try:
            await asyncio.wait_for(self.relay.producer.client.fetch_all_metadata(), 2)
        except Exception as exc:
            return type(exc).__name__
        return None


def periodic(what: str, seconds: float, step: Callable[[Runtime], Awaitable[Any]]) -> BackgroundJob:
    """A background job running ``step(runtime)`` every ``seconds``; a failed run is logged (by type) and retried."""

    async def job(runtime: Runtime) -> None:
        while True:
            try:
                await step(runtime)
            except Exception as exc:
                log.warning("%s failed: %s", what, type(exc).__name__)
            await asyncio.sleep(seconds)

    job.__name__ = what.replace(" ", "-")
    return job


def rewrap_job(keyring: crypto.Keyring, table: str, seconds: float) -> BackgroundJob:
    """A background job re-wrapping ``table``'s encrypted rows under the first data key (key rotation)."""

    async def step(runtime: Runtime) -> None:
        result = await crypto.rewrap_rows(runtime.pool, keyring, table)
        if result["rewrapped"]:
            log.info("re-wrapped %s rows of %s under data key %s", result["rewrapped"], table, keyring.primary)
        if result["unknown_key"]:
            log.warning("%s rows of %s are under a data key that is no longer configured", result["unknown_key"], table)

    return periodic("data key re-wrap", seconds, step)


def purge_job(what: str, seconds: float, run: Callable[[Runtime], Awaitable[int]]) -> BackgroundJob:
    """A background job purging what is past its retention every ``seconds``; logs the count only."""

    async def step(runtime: Runtime) -> None:
        purged = await run(runtime)
        if purged:
            log.info("%s: %s cases past their retention period purged", what, purged)

    return periodic(what, seconds, step)


def _name_server_spans_by_pattern(app: FastAPI) -> None:
    """The instrumentation's middleware names each server span with :func:`telemetry.route_span_details`, the
    same name found without calling every route's ``matches()``. The stack is built at the first request."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        stack = build()
        middleware = getattr(stack, "app", None)  # FastAPIInstrumentor: ServerErrorMiddleware(OpenTelemetryMiddleware)
        if not isinstance(middleware, OpenTelemetryMiddleware):
            raise RuntimeError("OpenTelemetry's middleware is not where FastAPIInstrumentor puts it")
        middleware.default_span_details = telemetry.route_span_details
        return stack

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


async def get_runtime(request: Request) -> Runtime:
    """FastAPI dependency: the service's runtime (``async``: FastAPI runs a plain ``def`` dependency in a worker
    thread, a hand-over to another thread and back on every request; see ``tests/arch/test_no_worker_threads.py``)."""
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def _raw_records(message: Any) -> Any:
    """The records as aiokafka gave them, values undecoded: the consumer decodes each one itself and
    dead-letters the bad ones (FastStream's own decoder would fail the whole batch on one malformed JSON
    value, again and again)."""
    return message.raw_message


async def _parse_batch(records: tuple[Any, ...], parse: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream's message for a batch, without the dict of decoded headers it makes for every record (2 to 3 µs a
    record, issue 20): nothing reads them, as :func:`_raw_records` hands the handler the records themselves.

    FastStream's own parser builds the message from the batch's first and last records, stripped of their
    headers (it takes the message's id and path from them); the message then carries every record."""
    ends = (replace(records[0], headers=()), replace(records[-1], headers=()))
    message = await parse(ends)
    message.raw_message = records
    return message


def _subscribe(runtime: Runtime) -> None:
    settings = runtime.settings
    consumer = runtime.consumer
    assert consumer is not None
    sources = [case_topic(p) for p in settings.consumes] + [retry_topic(settings.service)]
    subscriber = runtime.broker.subscriber(
        *sources,
        group_id=consumer.group_id,
        batch=True,
        max_records=settings.consumer_batch_size,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=max(100, settings.consumer_session_timeout_ms // 6),
        batch_timeout_ms=100,
        partition_assignment_strategy=(runtime.assignor,),  # type: ignore[arg-type]
        ack_policy=AckPolicy.MANUAL,  # offsets: runtime.offsets commits them in the background
        listener=runtime.offsets.listener(lambda: subscriber.consumer),  # see Offsets.listener
        parser=_parse_batch,
        decoder=_raw_records,
    )

    @subscriber
    async def on_events(raw: Any) -> None:  # what _raw_records gave (the broker applies no types)
        records = raw if isinstance(raw, tuple) else (raw,)
        try:
            await consumer.process(records)
        except BaseException:
            runtime.offsets.rewind(subscriber.consumer, records)
            raise
        await runtime.offsets.processed(subscriber.consumer, records)


def make_app(spec: ServiceSpec) -> FastAPI:
    """Build the FastAPI app of a service; start-up does migrations, topics and tasks."""
    settings = spec.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        telemetry.setup_telemetry(settings.service, settings.trace_dir)
        app.state.jwt_keys = auth.verification_keys(settings)
        app.state.jwt_algorithm = settings.jwt_algorithm
        pool = await db.create_pool(settings.dsn, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
        await db.migrate(pool, [spec.migrations])
        topics = messaging.service_topics(settings.service, settings.consumes)
        broker = messaging.make_broker(settings.kafka_bootstrap_servers, client_id=f"wja-{settings.service}")
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            acks="all",
            client_id=f"wja-{settings.service}-relay",
        )
        relay = OutboxRelay(
            pool,
            producer,
            service=settings.service,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            topics=topics,
            partitions=settings.topic_partitions,
            batch_size=settings.relay_batch_size,
            poll_seconds=settings.relay_poll_seconds,
            replication=settings.topic_replication,
        )
        await relay.ensure_topics()
        consumer = None
        if spec.handler is not None:
            consumer = EventConsumer(
                pool,
                spec.handler,
                service=settings.service,
                group_id=settings.group_id,
                max_attempts=settings.consumer_max_attempts,
                backoff_seconds=settings.consumer_retry_backoff_ms / 1000,
                parking_timeout_seconds=settings.parking_timeout_seconds,
                parking_retry_seconds=settings.parking_retry_seconds,
                simulation=settings.simulation,
                batched=spec.batched,
                handles=spec.handles,
            )
        runtime = Runtime(
            spec,
            pool,
            broker,
            relay,
            consumer,
            offsets=Offsets(
                settings.consumer_commit_interval_ms / 1000,
                cluster_id=lambda: messaging.cluster_id(settings.kafka_bootstrap_servers),
            ),
        )
        app.state.runtime = runtime
        if consumer is not None:
            _subscribe(runtime)
        if spec.on_start is not None:
            await spec.on_start(runtime)
        for key, value in spec.extra_state.items():
            setattr(app.state, key, value)
        await producer.start()
        await broker.start()
        runtime.tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
        if consumer is not None:
            runtime.tasks.append(asyncio.create_task(consumer.run_parking(), name="parking"))
            runtime.tasks.append(asyncio.create_task(runtime.offsets.run(), name="offset-commits"))
            watchdog = assignment.watch(
                broker,
                runtime.assignor,
                service=settings.service,
                group=consumer.group_id,
                after_seconds=settings.consumer_stale_restart_seconds,
                ensure_topics=relay.ensure_topics,
                lost_after_seconds=settings.consumer_coordinator_lost_restart_seconds,
                broker_down=runtime.broker_down,
            )
            runtime.tasks.append(asyncio.create_task(watchdog, name="assignment-watchdog"))
        runtime.tasks.append(asyncio.create_task(_prune_idempotency(runtime), name="idempotency-prune"))
        ops = opsmetrics.OpsMetrics(runtime, readiness, settings.metrics_refresh_seconds)
        runtime.tasks.append(asyncio.create_task(ops.run(), name="ops-metrics"))
        runtime.tasks += [
            asyncio.create_task(job(runtime), name=getattr(job, "__name__", "job")) for job in spec.background
        ]
        heap.tune_collector()  # the young generation is collected when a batch's worth of objects stay alive, not 700
        heap.freeze_startup_heap()  # what is alive now stays alive: full collections need not walk it
        log.info("wja-%s ready on port %s", settings.service, settings.port)
        try:
            yield
        finally:
            await tasks.stop(runtime.tasks)
            await assignment.end_lost_coordination(broker)  # else stopping it waits for a coordinator
            await tasks.bounded("consumer", broker.stop())
            await tasks.bounded("relay producer", producer.stop())
            if not await tasks.bounded("database pool", pool.close()):
                pool.terminate()

    app = FastAPI(
        title=spec.title or f"Whole Justice {settings.service}",
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(idempotency.IdempotencyMiddleware)  # it sees the answers errors.install shapes
    app.add_middleware(simtime.SimulatedTime, settings=settings)  # WJA-Sim-Time: 400 unless simulation is on
    web.install(app)  # outermost of ours: a credential in a URL is refused before anything else sees it
    app.include_router(_ops_router(settings.service))
    for router in spec.routers:
        app.include_router(router)
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls="healthz,readyz,metrics",
        http_capture_headers_sanitize_fields=list(redact.SENSITIVE_HEADERS),
        exclude_spans=["receive", "send"],  # one server span a request, not four more for its ASGI messages
    )
    _name_server_spans_by_pattern(app)
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = errors.document(idempotency.openapi_header(plain_openapi()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


async def _prune_idempotency(runtime: Runtime) -> None:
    """Every hour, drop the stored answers of idempotency keys past their retention."""
    while True:
        try:
            await idempotency.prune(runtime.pool, runtime.settings.idempotency_retention_hours)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("idempotency prune skipped: %s", type(exc).__name__)
        await asyncio.sleep(3600)


class Readiness(BaseModel):
    """The body of ``/readyz``, ready or not."""

    status: str = Field(description="ready or not ready")
    checks: dict[str, str] = Field(description="database, broker, relay, subscribers: ok or why not")
    dead_letters: int | None = Field(description="Open dead letters of the consumer (never a reason for 503).")
    warnings: list[str]


METRICS_RESPONSE = {
    "description": "Prometheus text exposition format (no token needed; no victim data in any label).",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}


class ReplayRequest(BaseModel):
    """Which outbox rows to publish again."""

    since: datetime | None = None


class DeadLetterSelection(BaseModel):
    """Dead letters to act on: the given ids, or all open ones."""

    ids: list[Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]] | None = Field(default=None, max_length=10_000)


async def readiness(runtime: Runtime) -> dict[str, Any]:
    """The readiness checks (``/readyz`` and the ``wja_service_ready`` gauge): database, broker, relay,
    partition assignment; with the open dead letters and configuration warnings."""
    checks: dict[str, Any] = {}
    try:
        async with runtime.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
        checks["database"] = "ok"
        dlq = await deadletters.depth(runtime.pool, runtime.settings.service)
        metrics.DLQ_DEPTH.labels(runtime.settings.service).set(dlq)
    except Exception as exc:
        checks["database"] = f"down ({type(exc).__name__})"
        dlq = None
    broker_down = await runtime.broker_down()
    checks["broker"] = "ok" if broker_down is None else f"down ({broker_down})"
    relay = runtime.relay
    checks["relay"] = "ok" if relay.running or relay.standby else f"down ({relay.last_error or 'starting'})"
    if runtime.consumer is not None:
        if runtime.assignor.stale_since is not None:
            checks["subscribers"] = "stale assignment (restarting the consumer)"
        elif assignment.any_lost(runtime.broker):  # it may still read its partitions, but commits no offsets
            checks["subscribers"] = "no group coordinator"
        else:
            checks["subscribers"] = "ok" if runtime.subscribers_assigned() else "waiting for partitions"
    ready = all(v == "ok" for v in checks.values())
    warnings = [
        f"topic {name} has {count} partitions; settings say {relay.partitions}"
        for name, count in sorted(relay.topic_partitions.items())
    ]
    return {"status": "ready" if ready else "not ready", "checks": checks, "dead_letters": dlq, "warnings": warnings}


def _ops_router(service: str) -> APIRouter:
    router = APIRouter()
    operator = Depends(auth.require("police:service", "cps:service", "court:service", "idva:service"))

    @router.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": service}

    @router.get(
        "/readyz",
        tags=["ops"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready: the checks say which part is not."}},
    )
    async def readyz(runtime: RuntimeDep) -> JSONResponse:
        """Readiness: database and broker answer, relay runs, subscribers have partitions."""
        result = await readiness(runtime)
        return JSONResponse(result, status_code=200 if result["status"] == "ready" else 503)

    @router.get("/metrics", tags=["ops"], response_class=PlainTextResponse, responses={200: METRICS_RESPONSE})
    async def prometheus() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/admin/dlq", tags=["ops"], dependencies=[operator])
    async def dlq_list(
        runtime: RuntimeDep,
        status: str = Query("open", pattern="^(open|replayed|purged)$"),
        limit: int = Query(100, ge=1, le=10000, description="At most this many, oldest first."),
    ) -> list[dict[str, Any]]:
        """Dead letters of this service's consumer (origin and reason; never the payload)."""
        return await deadletters.listing(runtime.pool, service, status=status, limit=limit)

    @router.post("/admin/dlq/replay", tags=["ops"], dependencies=[operator])
    async def dlq_replay(runtime: RuntimeDep, selection: DeadLetterSelection) -> dict[str, int]:
        """Send dead letters back through this consumer's retry topic."""
        return {"replayed": await deadletters.replay(runtime.pool, service, selection.ids)}

    @router.post("/admin/dlq/purge", tags=["ops"], dependencies=[operator])
    async def dlq_purge(runtime: RuntimeDep, selection: DeadLetterSelection) -> dict[str, int]:
        """Drop dead letters for good (their payload is erased)."""
        return {"purged": await deadletters.purge(runtime.pool, service, selection.ids)}

    @router.post("/admin/replay", tags=["ops"], dependencies=[operator])
    async def replay(runtime: RuntimeDep, request: ReplayRequest) -> dict[str, int]:
        """Publish this service's outbox again (all, or since a time); inboxes absorb repeats."""
        return {"republished": await runtime.relay.republish(request.since, case_topic(service))}

    return router


def serve(create_app: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Run a service with uvicorn; a port already taken is a one-line message, not a traceback."""
    import socket
    import sys

    import uvicorn

    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s wja-{settings.service} %(levelname)s %(message)s")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.http_host, settings.port))
        except OSError:
            sys.stderr.write(f"wja-{settings.service}: port {settings.port} is already in use\n")
            raise SystemExit(2) from None
    # Keep idle connections longer than clients do, so a client never reuses one the server closed.
    # No access log (it would hold every URL); whatever uvicorn or we log goes through redact.LogFilter.
    config = uvicorn.Config(
        create_app(),
        host=settings.http_host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=75,
    )
    redact.install_log_filter("uvicorn", "uvicorn.error", "uvicorn.access")
    server = uvicorn.Server(config)
    server.run()
    if not server.started:  # as uvicorn.run does: a failed start-up is a non-zero exit
        raise SystemExit(3)
