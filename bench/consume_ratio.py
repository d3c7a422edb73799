"""Raw aiokafka consume rate vs the platform's effectively-once apply rate, on the same data.

Starts its own broker and PostgreSQL (free ports, temporary directory), puts N events on
``wja.benchsrc.case.v1``, then measures:

1. raw: an aiokafka consumer reading every record (no decoding, no database), five times;
2. platform: the service runtime's consumer (FastStream batch subscriber → CloudEvents parse →
   one transaction per batch with inbox claim + a state row + an outbox event per event →
   offsets committed after commit), three times, and once more applying one event at a time.

Prints the median rate of each, every run's beside it, and their ratio (target ≥ 0.10, stretch ≥ 0.25).
Usage: ``python bench/consume_ratio.py [N]``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any, ClassVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from wja_cli.stack import Broker, Postgres
from wja_cli.testing import free_port, serve_app
from wja_platform import metrics, outbox, telemetry
from wja_platform.app import ServiceSpec, make_app
from wja_platform.consumer import Batched
from wja_platform.settings import ServiceSettings
from wja_schemas import new_envelope, to_record
from wja_schemas.intake import CrimeReported
from wja_schemas.types import Suspect

SQL = Path(tempfile.mkdtemp(prefix="wja-bench-sql-"))
(SQL / "0001_bench.sql").write_text("CREATE TABLE seen (urn text PRIMARY KEY, n integer NOT NULL);")


TOPIC = "wja.benchsrc.case.v1"


class BenchSettings(ServiceSettings):
    service: ClassVar[str] = "bench"
    consumes: ClassVar[tuple[str, ...]] = ("benchsrc",)  # not intake's topic: a running stack must not see these


def event(urn: str) -> CrimeReported:
    return CrimeReported(
        urn=urn,
        force_code="01",
        unit="YE",
        victim_ref="V01-0123456789abcdef",
        reported_at=datetime.now(UTC),
        offence_codes=["common_assault"],
        risk_level="standard",
        suspect=Suspect(name="A Suspect"),
        referral_basis="none",
    )


async def handler(conn, env) -> None:
    """A realistic effect: update case state and publish a follow-up event."""
    await conn.execute(
        "INSERT INTO seen (urn, n) VALUES ($1, 1) ON CONFLICT (urn) DO UPDATE SET n = seen.n + 1",
        env.subject,
    )
    await outbox.add(conn, new_envelope(env.payload, causationid=env.id), topic="wja.bench.out.v1")


async def handle_many(conn, envs) -> None:
    """The same effect, set-based (``Batched``): one statement for the run's state rows, the outbox rows
    written with the batch's (as the support and insights projections do)."""
    await conn.execute(
        "INSERT INTO seen (urn, n) SELECT u, count(*) FROM unnest($1::text[]) AS u GROUP BY u"
        " ON CONFLICT (urn) DO UPDATE SET n = seen.n + EXCLUDED.n",
        [env.subject for env in envs],
    )
    for env in envs:
        await outbox.add(conn, new_envelope(env.payload, causationid=env.id), topic="wja.bench.out.v1")


async def produce(bootstrap: str, n: int) -> None:
    """``n`` events, each with the trace headers of the span that published it, as every event our services
    publish has (a trace's first service decides whether it is sampled: ``WJA_TRACE_SAMPLE_RATIO``)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    tracer = TracerProvider(sampler=telemetry.sampler(telemetry.sample_ratio())).get_tracer("bench")  # not exported
    await producer.start()
    try:
        futures = []
        for i in range(n):
            with tracer.start_as_current_span("bench.publish"):
                carrier: dict[str, str] = {}
                propagate.inject(carrier)
            envelope = new_envelope(event(f"01YE{i % 2000:05d}26")).with_trace(carrier)
            key, value, headers = to_record(envelope)
            futures.append(await producer.send(TOPIC, value, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def raw_rate(bootstrap: str, n: int, topic: str = TOPIC) -> tuple[float, float]:
    """Events a second, and CPU seconds of this process, from the first record to the last (a bare aiokafka
    consumer reading ``topic`` from the start: the ceiling of consuming on this machine)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=5,
        max_poll_records=500,
    )
    await consumer.start()
    seen, start = 0, None
    try:
        while seen < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            if start is None and batches:
                start, cpu = time.perf_counter(), time.process_time()
            seen += sum(len(m) for m in batches.values())
            if batches:
                await consumer.commit()
        assert start is not None
        return n / (time.perf_counter() - start), time.process_time() - cpu
    finally:
        await consumer.stop()


async def platform_rate(pg: Postgres, bootstrap: str, n: int, state: Path, batched: bool) -> tuple[float, float]:
    """Events a second, and CPU seconds of this process (not PostgreSQL's), from the first applied to the last;
    ``batched``: with the set-based handler, else one handler call (and statement) per event."""
    db = f"bench_{uuid.uuid4().hex[:6]}"
    pg.psql(f"CREATE DATABASE {db}")
    url = f"postgresql://postgres@127.0.0.1:{pg.port}/{db}"
    app = bench_app(url, bootstrap, f"bench-{uuid.uuid4().hex[:6]}", state, batched)
    before = applied(BenchSettings.service)  # the counter is the process's: an earlier run's events are in it
    try:
        return await _rate(app, BenchSettings.service, before, n)
    finally:  # nothing of it left for PostgreSQL to vacuum while bench/run.py measures the stack
        pg.psql(f"DROP DATABASE {db} WITH (FORCE)")


def bench_app(database_url: str, bootstrap: str, group: str, state: Path, batched: bool) -> Any:
    """The measured service: the platform's runtime with :func:`handler` (and :func:`handle_many` when
    ``batched``), consuming :data:`TOPIC` in consumer group ``group``."""
    settings = BenchSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        state_dir=state,
        consumer_group=group,
        consumer_batch_size=500,
    )
    sets = Batched(lambda env: True, handle_many) if batched else None
    return make_app(ServiceSpec(settings=settings, migrations=SQL, handler=handler, batched=sets))


async def _rate(app: Any, service: str, before: float, n: int) -> tuple[float, float]:
    async with serve_app(app):
        pool = app.state.runtime.pool
        start = None
        while True:  # the process's own counter: polling count(*) on the inbox loaded the PostgreSQL it measures
            done = applied(service) - before
            if start is None and done:
                start, cpu = time.perf_counter(), time.process_time()
            if done >= n and await pool.fetchval("SELECT count(*) FROM inbox") >= n:  # and committed
                break
            await asyncio.sleep(0.005)
        assert start is not None
        return n / (time.perf_counter() - start), time.process_time() - cpu


def applied(service: str) -> float:
    """Events this process's consumer of ``service`` has applied so far (its Prometheus counter)."""
    return sum(
        sample.value
        for metric in metrics.EVENTS_APPLIED.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("service") == service
    )


RAW_RUNS = 5
APPLY_RUNS = 3
"""Each rate is the median of several runs: the same bare consumer, five times in one process, read
67,000 to 123,000 records a second (issue 20, docs/performance.md); one run each made the ratio a draw."""


async def measure(pg: Postgres, bootstrap: str, n: int, state: Path) -> dict[str, Any]:
    """Both rates on ``n`` fresh events, on a running PostgreSQL and broker (bench/run.py calls it too): the
    medians of :data:`RAW_RUNS` raw and :data:`APPLY_RUNS` set-based runs, each run's rate kept beside them. Both
    run with the garbage collector set as a service sets it (:func:`wja_platform.heap.tune_collector`): the bare
    consumer read its records up to a third faster so, and a ceiling measured without it would flatter the ratio."""
    from wja_platform import heap, messaging

    heap.tune_collector()  # the bare consumer too, as a service is: its records cost less to read (issue 20)
    topics = [TOPIC, "wja.bench.out.v1"]
    await messaging.ensure_topics(bootstrap, topics, partitions=3)
    try:
        await produce(bootstrap, n)
        raws = [await raw_rate(bootstrap, n) for _ in range(RAW_RUNS)]
        applies = [await platform_rate(pg, bootstrap, n, state, batched=True) for _ in range(APPLY_RUNS)]
        single, single_cpu = await platform_rate(pg, bootstrap, n, state, batched=False)
    finally:  # the broker keeps records in memory: not 100,000 of them while bench/run.py measures the stack
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(topics)
        finally:
            await admin.close()
    raw, raw_cpu = median(r for r, _ in raws), median(c for _, c in raws)
    applied, apply_cpu = median(r for r, _ in applies), median(c for _, c in applies)
    return {
        "events": n,
        "raw_per_s": round(raw),
        "raw_per_s_runs": [round(r) for r, _ in raws],
        "applied_per_s": round(applied),
        "applied_per_s_runs": [round(r) for r, _ in applies],
        "ratio": round(applied / raw, 3),
        "raw_cpu_us_per_event": round(raw_cpu * 1e6 / n),
        "apply_cpu_us_per_event": round(apply_cpu * 1e6 / n),
        "apply_cpu_us_per_event_runs": [round(c * 1e6 / n) for _, c in applies],
        "cpu_ratio": round(raw_cpu / apply_cpu, 3),
        "applied_one_by_one_per_s": round(single),
        "one_by_one_cpu_us_per_event": round(single_cpu * 1e6 / n),
    }


async def main(n: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="wja-bench-"))
    pg = Postgres(free_port(), root / "pg" / "data")
    broker = Broker(free_port(), root / "broker.log")
    pg.start()
    broker.start()
    try:
        r = await measure(pg, broker.bootstrap, n, root / "state")
        print(f"events: {n}  (batch 500, fetch_max_wait_ms 5)")
        print(f"raw aiokafka consume:        {r['raw_per_s']:10.0f} events/s  (median of {r['raw_per_s_runs']})")
        print(
            f"platform effectively-once:   {r['applied_per_s']:10.0f} events/s  (median of {r['applied_per_s_runs']})"
        )
        print(f"  the same, one by one:      {r['applied_one_by_one_per_s']:10.0f} events/s  (a statement per event)")
        print(f"ratio:                       {r['ratio']:10.3f}  (target >= 0.10, stretch >= 0.25)")
        print(
            f"CPU per event: raw {r['raw_cpu_us_per_event']} µs, apply {r['apply_cpu_us_per_event']} µs"
            f" (ratio {r['cpu_ratio']}), one by one {r['one_by_one_cpu_us_per_event']} µs"
        )
    finally:
        broker.stop()
        pg.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
