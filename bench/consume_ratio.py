"""Raw aiokafka consume rate vs the platform's effectively-once apply rate, on the same data.

Starts its own broker and PostgreSQL (free ports, temporary directory), puts N events on
``wja.benchsrc.case.v1``, then measures:

1. raw: an aiokafka consumer reading every record (no decoding, no database), five times;
2. platform: the service runtime's consumer (FastStream batch subscriber → CloudEvents parse →
   one transaction per batch with inbox claim + a state row + an outbox event per event →
   offsets committed after commit), three times, and once more applying one event at a time.
3. the same service scaled out: two processes of it in one consumer group (bench/apply_replica.py), once.

Prints the median rate of each, every run's beside it, and their ratio (target ≥ 0.10, stretch ≥ 0.25).
Usage: ``python bench/consume_ratio.py [N]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any, ClassVar

import asyncpg
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

SQL = Path(__file__).with_name("sql")
"""The service's migration, in the repository: a migration is known by its directory's name, and the replicas
of bench/apply_replica.py must find it applied by the first (issue 20)."""


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


async def platform_rate(pg: Postgres, bootstrap: str, n: int, state: Path, batched: bool) -> tuple[float, float, float]:
    """Events a second, and CPU seconds of this process (not PostgreSQL's), from the first applied to the last, and
    the seconds after the last applied until the relay had published every outbox row they wrote (not in the rate);
    ``batched``: with the set-based handler, else one handler call (and statement) per event."""
    with bench_database(pg) as url:
        app = bench_app(url, bootstrap, f"bench-{uuid.uuid4().hex[:6]}", state, batched)
        before = applied(BenchSettings.service)  # the counter is the process's: an earlier run's events are in it
        return await _rate(app, BenchSettings.service, before, n)


@contextlib.contextmanager
def bench_database(pg: Postgres) -> Iterator[str]:
    """A new database for one measured run, its URL; dropped after, so nothing of it is left for PostgreSQL to
    vacuum while bench/run.py measures the stack."""
    db = f"bench_{uuid.uuid4().hex[:6]}"
    pg.psql(f"CREATE DATABASE {db}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{pg.port}/{db}"
    finally:
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


async def _rate(app: Any, service: str, before: float, n: int) -> tuple[float, float, float]:
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
        end, cpu = time.perf_counter(), time.process_time() - cpu
        left = None
        try:
            async with asyncio.timeout(RELAY_TAIL_TIMEOUT_SECONDS):
                while left := await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                    await asyncio.sleep(0.01)
        except TimeoutError:
            msg = f"the relay left {left} outbox rows unpublished {RELAY_TAIL_TIMEOUT_SECONDS} s after the last applied"
            raise RuntimeError(msg) from None
        return n / (end - start), cpu, time.perf_counter() - end


async def replicas_rate(pg: Postgres, bootstrap: str, n: int, state: Path, replicas: int = 2) -> dict[str, Any]:
    """The set-based apply scaled out: ``replicas`` processes of the service (bench/apply_replica.py) in one
    consumer group and one database, on the same ``n`` events. Each reports its applied count with wall-clock
    times; returns the rate from the first event applied to the last (``per_s``, as :func:`platform_rate`
    measures one process), the rate while every replica was applying (``overlap_per_s``: the topic's three
    partitions split two to one, so one replica ends first), CPU an event over the replicas, and each one's
    share."""
    with bench_database(pg) as url:
        samples = await _replicas(url, bootstrap, f"bench-{uuid.uuid4().hex[:6]}", n, state, replicas)
    return scaled_figures(samples, n)


async def _replicas(
    url: str, bootstrap: str, group: str, n: int, state: Path, replicas: int
) -> list[list[tuple[int, float, float]]]:
    """Run the replicas until ``n`` events are applied and committed; each one's samples."""
    script = str(Path(__file__).with_name("apply_replica.py"))
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, script, url, bootstrap, group, str(state / f"replica-{i}"), stdout=asyncio.subprocess.PIPE
        )
        for i in range(replicas)
    ]
    samples: list[list[tuple[int, float, float]]] = [[] for _ in procs]

    async def read(proc: asyncio.subprocess.Process, into: list[tuple[int, float, float]]) -> None:
        assert proc.stdout is not None
        async for line in proc.stdout:
            word, *values = line.decode().split()
            if word == "applied":
                into.append((int(values[0]), float(values[1]), float(values[2])))

    readers = [asyncio.create_task(read(p, s)) for p, s in zip(procs, samples, strict=True)]
    try:
        async with asyncio.timeout(REPLICAS_TIMEOUT_SECONDS):
            while sum(s[-1][0] for s in samples if s) < n:
                if any(p.returncode is not None for p in procs):
                    raise RuntimeError(f"a replica exited: {[p.returncode for p in procs]}")
                await asyncio.sleep(0.05)
            conn = await asyncpg.connect(url)
            try:
                while await conn.fetchval("SELECT count(*) FROM inbox") < n:  # and committed
                    await asyncio.sleep(0.05)
            finally:
                await conn.close()
    except TimeoutError:
        applied_so_far = [s[-1][0] if s else 0 for s in samples]
        msg = f"{replicas} replicas applied {applied_so_far} of {n} events in {REPLICAS_TIMEOUT_SECONDS} s"
        raise RuntimeError(msg) from None
    finally:
        for p in procs:
            if p.returncode is None:
                p.terminate()
        for p in procs:
            await p.wait()
        for r in readers:
            r.cancel()
    return samples


def scaled_figures(samples: list[list[tuple[int, float, float]]], n: int) -> dict[str, Any]:
    """:func:`replicas_rate`'s figures from each replica's ``(applied, wall time, CPU seconds)`` samples."""
    ran = [s for s in samples if s]
    start, end = min(s[0][1] for s in ran), max(s[-1][1] for s in ran)
    both_from, both_to = max(s[0][1] for s in ran), min(s[-1][1] for s in ran)

    def count_at(s: list[tuple[int, float, float]], t: float) -> int:
        return max((c for c, wall, _ in s if wall <= t), default=0)

    overlap = None
    if len(ran) == len(samples) and both_to > both_from:
        moved = sum(count_at(s, both_to) - count_at(s, both_from) for s in ran)
        overlap = moved / (both_to - both_from)
    cpu = sum(s[-1][2] - s[0][2] for s in ran)
    events = sum(s[-1][0] - s[0][0] for s in ran)
    return {
        "per_s": n / (end - start),
        "overlap_per_s": overlap,
        "overlap_s": max(0.0, both_to - both_from),
        "cpu_us_per_event": cpu * 1e6 / events if events else None,
        "shares": [s[-1][0] if s else 0 for s in samples],
    }


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
67,000 to 123,000 records a second (issue 20, docs/performance-journal.md); one run each made the ratio a draw."""
REPLICAS = 2
"""The scaled-out apply: this many processes of the service in one group (one run; bench/apply_replica.py)."""
REPLICAS_TIMEOUT_SECONDS = 180
RELAY_TAIL_TIMEOUT_SECONDS = 120


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
        single, single_cpu, _ = await platform_rate(pg, bootstrap, n, state, batched=False)
        scaled = await replicas_rate(pg, bootstrap, n, state, REPLICAS)
    finally:  # the broker keeps records in memory: not 100,000 of them while bench/run.py measures the stack
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(topics)
        finally:
            await admin.close()
    raw, raw_cpu = median(r for r, _ in raws), median(c for _, c in raws)
    applied, apply_cpu = median(r for r, _, _ in applies), median(c for _, c, _ in applies)
    return {
        "events": n,
        "raw_per_s": round(raw),
        "raw_per_s_runs": [round(r) for r, _ in raws],
        "applied_per_s": round(applied),
        "applied_per_s_runs": [round(r) for r, _, _ in applies],
        "published_after_ms_runs": [round(t * 1000) for _, _, t in applies],
        "ratio": round(applied / raw, 3),
        "raw_cpu_us_per_event": round(raw_cpu * 1e6 / n),
        "apply_cpu_us_per_event": round(apply_cpu * 1e6 / n),
        "apply_cpu_us_per_event_runs": [round(c * 1e6 / n) for _, c, _ in applies],
        "cpu_ratio": round(raw_cpu / apply_cpu, 3),
        "applied_one_by_one_per_s": round(single),
        "one_by_one_cpu_us_per_event": round(single_cpu * 1e6 / n),
        "replicas": REPLICAS,
        "replicas_per_s": round(scaled["per_s"]),
        "replicas_ratio": round(scaled["per_s"] / raw, 3),
        "replicas_overlap_per_s": None if scaled["overlap_per_s"] is None else round(scaled["overlap_per_s"]),
        "replicas_overlap_s": round(scaled["overlap_s"], 2),
        "replicas_cpu_us_per_event": None if scaled["cpu_us_per_event"] is None else round(scaled["cpu_us_per_event"]),
        "replicas_shares": scaled["shares"],
    }


async def main(n: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="wja-bench-"))
    pg = Postgres(free_port(), root / "pg" / "data")
    broker = Broker(free_port(), root / "broker.log")
    pg.start()
    broker.start()
    try:
        r = await measure(pg, broker.bootstrap, n, root / "state")
        print(f"events: {n}  (batches of 500; the bare consumer's fetch wait 5 ms, the service's as it ships)")
        print(f"raw aiokafka consume:        {r['raw_per_s']:10.0f} events/s  (median of {r['raw_per_s_runs']})")
        print(
            f"platform effectively-once:   {r['applied_per_s']:10.0f} events/s  (median of {r['applied_per_s_runs']})"
        )
        print(f"  the same, one by one:      {r['applied_one_by_one_per_s']:10.0f} events/s  (a statement per event)")
        print(f"  its outbox published:      {r['published_after_ms_runs']} ms after the last event applied")
        print(f"ratio:                       {r['ratio']:10.3f}  (target >= 0.10, stretch >= 0.25)")
        print(
            f"{r['replicas']} replicas (processes):      {r['replicas_per_s']:10.0f} events/s,"
            f" ratio {r['replicas_ratio']:.3f}"
            f" (both applying: {r['replicas_overlap_per_s']}/s for {r['replicas_overlap_s']} s; each applied"
            f" {r['replicas_shares']}; CPU an event {r['replicas_cpu_us_per_event']} µs)"
        )
        print(
            f"CPU per event: raw {r['raw_cpu_us_per_event']} µs, apply {r['apply_cpu_us_per_event']} µs"
            f" (ratio {r['cpu_ratio']}), one by one {r['one_by_one_cpu_us_per_event']} µs"
        )
    finally:
        broker.stop()
        pg.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
