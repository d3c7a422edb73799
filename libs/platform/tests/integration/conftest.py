"""Fixtures for the plumbing's integration tests: a probe consumer service and a producer."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from wja_platform import db, telemetry
from wja_platform.app import ServiceSpec, make_app
from wja_platform.relay import OutboxRelay
from wja_platform.settings import ServiceSettings
from wja_schemas.intake import CrimeReported
from wja_schemas.types import Suspect

SQL = Path(__file__).parent / "sql"


def crime(urn: str) -> CrimeReported:
    return CrimeReported(
        urn=urn,
        force_code=urn[:2],
        unit=urn[2:4],
        victim_ref="V01-0123456789abcdef",
        reported_at=datetime.now(UTC),
        offence_codes=["common_assault"],
        risk_level="standard",
        suspect=Suspect(name="A Suspect"),
        referral_basis="none",
    )


def new_urn(n: int) -> str:
    return f"01YE{n:05d}26"


async def apply_probe(conn, env) -> None:
    """A probe's handler: the event's row in ``applied`` (the probe's migration)."""
    await conn.execute("INSERT INTO applied (event_key, urn) VALUES ($1, $2)", env.idempotency_key, env.subject)


def applied_probe(pool):
    """``applied(urn)``: whether :func:`apply_probe` applied an event of ``urn``."""

    async def applied(urn: str) -> bool:
        return bool(await pool.fetchval("SELECT 1 FROM applied WHERE urn = $1", urn))

    return applied


class ProbeSettings(ServiceSettings):
    service: ClassVar[str] = "probe"
    consumes: ClassVar[tuple[str, ...]] = ("intake",)


@dataclass
class Producer:
    """Intake's side: a database with an outbox and a relay publishing it."""

    pool: asyncpg.Pool
    relay: OutboxRelay
    kafka: AIOKafkaProducer


@pytest.fixture
async def producer(stack) -> AsyncIterator[Producer]:
    pool = await db.create_pool(stack.new_database("producer"))
    await db.migrate(pool, [])
    kafka = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await kafka.start()
    topics = ["wja.intake.case.v1"]
    relay = OutboxRelay(pool, kafka, service="intake", bootstrap_servers=stack.bootstrap, topics=topics)
    await relay.check_cluster()
    yield Producer(pool, relay, kafka)
    await kafka.stop()
    await pool.close()


@contextlib.asynccontextmanager
async def traced_pool(stack, trace_dir: Path, name: str, ddl: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a new database with the platform's tables and ``ddl``'s, with telemetry set up (once per process:
    the first set-up's span file stays), for the unit-of-work tests."""
    telemetry.setup_telemetry("platform-tests", trace_dir)
    pool = await db.create_pool(stack.new_database(name))
    try:
        await db.migrate(pool, [])
        await pool.execute(ddl)
        yield pool
    finally:
        await pool.close()


def probe_settings(stack, dsn: str, kind: type[ProbeSettings] = ProbeSettings, **overrides) -> ProbeSettings:
    """Settings of a probe service (``kind``: a probe of another name) on the test stack."""
    return kind(
        database_url=dsn,
        kafka_bootstrap_servers=overrides.pop("kafka_bootstrap_servers", stack.bootstrap),
        state_dir=stack.state_dir(),
        parking_retry_seconds=0.2,
        consumer_retry_backoff_ms=1,
        **overrides,
    )


def probe_app(settings: ProbeSettings, handler):
    return make_app(ServiceSpec(settings=settings, migrations=SQL, handler=handler))


def group_suffix() -> str:
    return uuid.uuid4().hex[:6]


async def consumer_state(app) -> str:
    """What a probe's consumer was doing (for a failure's message): its tasks, assignment, positions against
    the broker's ends, and its tables' counts."""
    import asyncio

    runtime = app.state.runtime
    parts = [f"tasks {[(t.get_name(), t.done()) for t in runtime.tasks]}", f"stale {runtime.assignor.stale_for():.1f}s"]
    for sub in runtime.broker.subscribers:
        consumer = getattr(sub, "consumer", None)
        if consumer is None:
            parts.append("a subscriber without a consumer")
            continue
        owned = sorted(consumer.assignment())
        try:
            ends = await asyncio.wait_for(consumer.end_offsets(owned), 5) if owned else {}
            positions = {tp: await asyncio.wait_for(consumer.position(tp), 1) for tp in owned}
        except Exception as exc:  # a diagnosis: say what could not be read
            parts.append(f"assigned {[(tp.topic, tp.partition) for tp in owned]}, offsets unreadable ({exc!r})")
            continue
        parts.append(
            "assigned " + ", ".join(f"{tp.topic}[{tp.partition}] at {positions[tp]}/{ends.get(tp)}" for tp in owned)
        )
    for table in ("inbox", "parked", "dead_letters"):
        parts.append(f"{table} {await runtime.pool.fetchval(f'SELECT count(*) FROM {table}')}")
    return "; ".join(parts)
