"""The journey driver's own CPU (`wja simulate`): per request, and per journey.

The driver shares the 2 cores with the stack it drives, so its CPU is taken from what it measures.
This prints the CPU of *this* process (``time.process_time``: user + system, every thread) for each
HTTP client, in interleaved rounds: ``lean`` is the driver's client now (:mod:`wja_cli.http1`),
``httpx`` the one it had before (kept below, as it was, to measure against).

- ``python bench/driver_cpu.py requests [--n 4000] [--rounds 3]``: a trivial ASGI app (this file's
  ``app``) served by uvicorn in its own process; half POSTs with a report-sized JSON body, half GETs,
  16 at once, through ``simulate.Client`` with a real bearer token. CPU ms per request.
- ``python bench/driver_cpu.py journeys [--n 100] [--rounds 2]``: PostgreSQL, the broker and every
  service on free ports as bench/run.py starts them; ``n`` realtime journeys (``simulate.simulate``,
  60 at once, as bench/run.py runs them). CPU ms per journey and per request, requests per journey.

``requests`` also measures ``httpx, no I/O``: httpx with a transport that answers at once without a
socket, the floor any custom httpx transport would reach. ``--profile FILE`` runs py-spy (not a
dependency: ``uv pip install py-spy``) on this process over the last round of ``--profiled`` (``lean``
or ``httpx``), raw format, for bench/profile_summary.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import embedded  # bench/ is on sys.path: the script's directory
import httpx
import psutil
from run import CONSUMING, cpu_seconds, report
from wja_cli import journeys, simulate
from wja_cli.http1 import Pool
from wja_cli.stack import stop_process, wait_for_port
from wja_cli.testing import free_port
from wja_platform import auth

HERE = Path(__file__).resolve().parent
CASE = b'{"urn":"43AB0000126","status":"awaiting_decision","offences":[{"code":"abh"}],"note":"%s"}' % (b"x" * 200)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A trivial ASGI app: POST answers 201 with a URN, GET a case-sized JSON body."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    post = scope["method"] == "POST"
    body = b'{"urn":"43AB0000126"}' if post else CASE
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]  # as FastAPI answers
    await send({"type": "http.response.start", "status": 201 if post else 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HttpxClient:
    """The driver's client before this bench: ``simulate.Client`` on httpx, as it was."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http, self.retries = http, 0

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        Counting.n += 1
        return await self.http.get(url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:  # retries left out: none happen here
        Counting.n += 1
        headers = {"Idempotency-Key": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        return await self.http.post(url, headers=headers, **kwargs)


class Canned(httpx.AsyncBaseTransport):
    """An httpx transport that does no I/O: what httpx costs above any transport (the floor of a custom one)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        post = request.method == "POST"
        return httpx.Response(201 if post else 200, content=b'{"urn":"43AB0000126"}' if post else CASE)


def httpx_agency_client(self: simulate.Agencies, service: str, agency: str, role: str, sub: str, **claims: str) -> Any:
    name = f"{service}:{agency}:{role}:{sub}:{claims}"
    if name not in self.clients:
        token = auth.mint(self.key, sub=sub, agency=agency, role=role, ttl_seconds=24 * 3600, **claims)
        http = httpx.AsyncClient(
            base_url=self.urls[service],
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            limits=httpx.Limits(max_connections=50, keepalive_expiry=2.0),
            transport=Canned() if CANNED else None,
        )
        self.clients[name] = HttpxClient(http)  # type: ignore[assignment]
    return self.clients[name]


CANNED = False


async def httpx_close(self: simulate.Agencies) -> None:
    await asyncio.gather(*(c.http.aclose() for c in self.clients.values()))  # type: ignore[attr-defined]


@contextlib.contextmanager
def driven_by(kind: str) -> Iterator[None]:
    """``simulate`` with the ``lean`` client (as it is), the ``httpx`` one (as it was), or ``httpx, no I/O``."""
    global CANNED  # noqa: PLW0603 (one bench run, one variant at a time)
    if kind.startswith("lean"):
        yield
        return
    CANNED = kind == "httpx, no I/O"
    saved = simulate.Agencies.client, simulate.Agencies.close
    simulate.Agencies.client, simulate.Agencies.close = httpx_agency_client, httpx_close  # type: ignore[method-assign]
    try:
        yield
    finally:
        simulate.Agencies.client, simulate.Agencies.close = saved  # type: ignore[method-assign]


class Counting:
    """Counts the HTTP requests sent: ``Pool.request`` (lean) or ``HttpxClient`` (httpx)."""

    n = 0

    def __enter__(self) -> Counting:
        self.saved = pool_request = Pool.request

        async def counted(pool: Pool, *args: Any, **kwargs: Any) -> Any:
            Counting.n += 1
            return await pool_request(pool, *args, **kwargs)

        Pool.request = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        Pool.request = self.saved  # type: ignore[method-assign]


def spy(path: str | None, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy on this process for ``seconds`` (raw format), when a ``path`` is given."""
    if not path:
        return None
    py_spy = str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [
            *(py_spy, "record", "--pid", str(os.getpid()), "--duration", str(int(seconds) + 1), "--rate", "250"),
            *("--format", "raw", "--output", path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def hammer(url: str, key: str, n: int, in_flight: int = 16) -> None:
    agencies = simulate.Agencies(key, {"intake": url})
    police = agencies.client("intake", "police", "officer", "pc-sim", force="43")
    body = report("43", 1)

    async def worker(count: int) -> None:
        for i in range(count):
            r = await (police.post("/v1/reports", json=body) if i % 2 else police.get("/v1/cases/43AB0000126"))
            if r.status_code not in (200, 201) or not r.json():
                raise RuntimeError(f"answered {r.status_code}")

    await asyncio.gather(*(worker(n // in_flight) for _ in range(in_flight)))
    await agencies.close()


def requests(args: argparse.Namespace) -> None:
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "driver_cpu:app", "--port", str(port)),
            *("--log-level", "warning", "--no-access-log"),
        ],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    key, url = "k" * 32, f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, server, 30, "the trivial app")
        figures: dict[str, list[float]] = {"lean": [], "httpx": [], "httpx, no I/O": []}
        for r in range(args.rounds):
            for kind, spent in figures.items():
                with driven_by(kind):
                    asyncio.run(hammer(url, key, 400))  # warm up
                    last = kind == args.profiled and r == args.rounds - 1
                    profiler = spy(args.profile, 2 if kind == "lean" else 15) if last else None
                    cpu = time.process_time()
                    asyncio.run(hammer(url, key, args.n))
                    spent.append((time.process_time() - cpu) * 1000 / args.n)
                    if profiler:
                        profiler.wait()
                print(f"round {r + 1} {kind}: {spent[-1]:.3f} ms CPU per request", flush=True)
        for kind, values in figures.items():
            print(f"{kind}: median {statistics.median(values):.3f} ms CPU per request over {len(values)} rounds")
    finally:
        stop_process(server)


def journeys_round(
    plans: list[journeys.CasePlan], urls: dict[str, str], key: str, procs: dict[str, psutil.Process], pg: psutil.Process
) -> str:
    """Run ``plans``; the driver's CPU per journey and per request, and the rest of the stack's."""
    n = len(plans)
    with Counting() as counting:
        sent, polls, others = counting.n, simulate.POLLS[0], cpu_seconds(procs, pg)
        cpu, kernel, wall = time.process_time(), os.times().system, time.monotonic()
        summary = asyncio.run(simulate.simulate(plans, urls, key, rate=1000, concurrency=60, sessions=False))
        spent, kernel = (time.process_time() - cpu) * 1000, (os.times().system - kernel) * 1000
        sent, polls, after = counting.n - sent, simulate.POLLS[0] - polls, cpu_seconds(procs, pg)
    stack_ms = sum(after[k] - others[k] for k in after if k != "bench client") * 1000 / n
    return (
        f"{n} journeys ({summary.completed} completed, failed {dict(summary.failed)}) in "
        f"{time.monotonic() - wall:.1f} s; driver CPU {spent / n:.2f} ms a journey ({kernel / spent:.0%} in the "
        f"kernel), {spent / sent:.3f} ms a request; {sent / n:.1f} requests a journey ({polls / n:.1f} polls), "
        f"{summary.retries} sent again; the rest of the stack's CPU {stack_ms:.1f} ms a journey"
    )


def journeys_cpu(args: argparse.Namespace) -> None:
    with embedded.running("wja-driver-", services=tuple(CONSUMING)) as up:
        key, urls = up.key, up.urls
        asyncio.run(simulate.create_sessions(simulate.Agencies(key, {"court": urls["court"]}), days=260, capacity=1000))
        procs, pg = up.processes()
        firsts = args.poll_first or [None]
        variants = [("lean", f) for f in firsts] + ([] if args.poll_first else [("httpx", None)])
        for r in range(args.rounds):
            for i, (kind, poll_first) in enumerate(variants):
                if poll_first is not None:
                    simulate.POLL_FIRST = poll_first
                plans = journeys.plan(args.n, seed=r * len(variants) + i + 1, forces=("43",))
                last = kind == args.profiled and r == args.rounds - 1
                profiler = spy(args.profile, args.n / 8 if kind == "lean" else args.n / 6) if last else None
                with driven_by(kind):
                    figures = journeys_round(plans, urls, key, procs, pg)
                if profiler:
                    profiler.wait()
                label = kind if poll_first is None else f"lean, first poll after {poll_first:g} s"
                print(f"round {r + 1} {label}: {figures}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["requests", "journeys"])
    parser.add_argument("--n", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile")
    parser.add_argument("--profiled", default="lean", help="the client profiled: lean or httpx")
    parser.add_argument("--poll-first", type=float, nargs="*", help="journeys: lean rounds with each first poll wait")
    parser.add_argument("--uvloop", action="store_true", help="run the driver on uvloop (installed with intake)")
    arguments = parser.parse_args()
    if arguments.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if arguments.what == "requests":
        arguments.n = arguments.n or 4000
        requests(arguments)
    else:
        arguments.n = arguments.n or 100
        journeys_cpu(arguments)
