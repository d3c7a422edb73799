"""Raw ceilings on this machine, measured beside each bench figure (bench/run.py):

- raw aiokafka produce and consume (acks=all, no decoding, no database);
- a one-row PostgreSQL transaction (asyncpg, BEGIN; INSERT; COMMIT), 16 connections at once;
- an empty FastAPI request (uvicorn, one process, as a service runs), 64 requests in flight;
- plain Python: a fixed piece of stdlib work, to tell a slower machine from slower code between two runs.

Each is the most the system could do per step if our code cost nothing; the bench prints every
figure as a ratio to its ceiling.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import consume_ratio
import loadgen
from aiokafka import AIOKafkaProducer
from wja_cli.stack import stop_process, wait_for_port
from wja_cli.testing import free_port

HERE = Path(__file__).resolve().parent


def _p50_ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 2)


async def kafka(bootstrap: str, n: int) -> dict[str, float]:
    """Produce ``n`` 1 KiB records with acks=all, then consume them back from the start."""
    from wja_platform import messaging

    topic = f"bench.ceiling.{uuid.uuid4().hex[:6]}"
    await messaging.ensure_topics(bootstrap, [topic], partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        start = time.perf_counter()
        futures = [await producer.send(topic, b"x" * 1024, key=str(i % 500).encode()) for i in range(n)]
        await asyncio.gather(*futures)
        produce = n / (time.perf_counter() - start)
    finally:
        await producer.stop()
    consume, _ = await consume_ratio.raw_rate(bootstrap, n, topic)
    return {"produce_per_s": round(produce), "consume_per_s": round(consume)}


async def postgres(dsn: str, n: int, connections: int = 16) -> dict[str, float]:
    """``n`` one-row transactions over ``connections`` connections: rate and median latency."""
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    assert pool is not None
    try:
        await pool.execute("CREATE TABLE IF NOT EXISTS bench_ceiling (id bigserial PRIMARY KEY, v text)")
        latencies: list[float] = []

        async def worker(count: int) -> None:
            async with pool.acquire() as conn:
                for _ in range(count):
                    t = time.perf_counter()
                    async with conn.transaction():
                        await conn.execute("INSERT INTO bench_ceiling (v) VALUES ($1)", "x")
                    latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(worker(n // connections) for _ in range(connections)))
        rate = len(latencies) / (time.perf_counter() - start)
    finally:
        await pool.close()
    return {"tx_per_s": round(rate), "tx_p50_ms": _p50_ms(latencies)}


async def _hammer(url: str, n: int, in_flight: int) -> tuple[float, list[float]]:
    """``n`` empty POSTs over ``in_flight`` keep-alive connections (the client the offered load uses)."""
    latencies: list[float] = []
    base, path = url.rsplit("/v1/", 1)

    async def worker(count: int) -> None:
        conn = loadgen.Connection(base, timeout=30)
        for _ in range(count):
            t = time.perf_counter()
            status, _ = await conn.post_json(f"/v1/{path}", {})
            if not 200 <= status < 300:
                raise loadgen.HttpError(f"empty request answered {status}")
            latencies.append(time.perf_counter() - t)
        await conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(n // in_flight) for _ in range(in_flight)))
    return len(latencies) / (time.perf_counter() - start), latencies


def http(n: int, in_flight: int = 64) -> dict[str, float]:
    """An empty FastAPI POST served by uvicorn in its own process: rate and median latency."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(HERE),
            "empty_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, 30, "empty FastAPI app", HERE / "empty_app.py")
        url = f"http://127.0.0.1:{port}/v1/empty"
        asyncio.run(_hammer(url, 200, 8))  # warm up
        rate, _ = asyncio.run(_hammer(url, n, in_flight))
        _, alone = asyncio.run(_hammer(url, 200, 1))
    finally:
        stop_process(proc)
    return {"requests_per_s": round(rate), "request_p50_ms_alone": _p50_ms(alone)}


PYTHON_DOC = {
    "urn": "01YE0000126",
    "force_code": "01",
    "reported_at": "2026-12-01T09:30:00Z",
    "offence_codes": ["common_assault", "criminal_damage"],
    "risk_level": "high",
    "suspect": {"arrested": True, "bail": "conditional"},
    "referral_basis": "consented",
    "counts": list(range(20)),
}


def python(n: int = 20000, runs: int = 5) -> dict[str, float]:
    """Plain Python's speed on one core: the CPU time of a fixed piece of stdlib work (a JSON round trip of an
    event-sized document and a sorted list of its fields as text), the median of ``runs`` runs. No code of ours and
    no library we pick is in it: when it moves between two runs of the bench, the machine moved. It does not carry
    a journey's CPU, though: on 1 December a journey cost 59.0 ms with it at 15.9 µs and 59.8 ms with it at 24.4 µs
    (docs/performance-journal.md, S3), so a slower journey with the same reading is not proof of slower code."""
    per: list[float] = []
    for _ in range(runs):
        start = time.process_time()
        for _ in range(n):
            doc = json.loads(json.dumps(PYTHON_DOC))
            sorted(f"{k}={v}" for k, v in doc.items())
        per.append((time.process_time() - start) / n)
    return {"fixed_work_us": round(statistics.median(per) * 1e6, 2), "runs": runs}
