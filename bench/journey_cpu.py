"""CPU per request of the journey's requests to charging, court and support (their HTTP path, and only that).

Starts PostgreSQL, the broker, intake, charging, court and support (each in its own process, as ``wja up``
runs them) on free ports in a temporary directory. It first opens ``R x N`` cases through the pipeline
(court sessions to list into; a report and a charging request at intake; charging opens the file): not measured.
Then, per round, it sends each request a journey makes, one kind at a time, once for each of the
round's ``N`` cases, ``C`` in flight (closed loop: CPU per request, not latency), in the journey's order:

- charging: ``GET /v1/cases/{urn}`` (the journeys poll it), ``POST /v1/cases/{urn}/decisions`` (charge);
- court: ``GET /v1/cases/{urn}/hearings`` (polled), ``POST /v1/hearings/{id}/result`` (first hearing: not
  guilty plea; then the trial: effective), ``POST /v1/cases/{urn}/verdict``, ``POST /v1/cases/{urn}/sentence``;
- support: ``GET /v1/cases/{urn}/timeline`` (a manager of the case's team).

What comes downstream between the kinds (court listing a charged case, support's timeline) is waited for,
unmeasured. For each kind it prints the service's CPU ms per request (user + system; and less its idle
CPU over the window), the spans it exported per request (its relay's sends too), and PostgreSQL's CPU:
that of the backends of the service's own database only (other services' consumers may work meanwhile
on theirs). The service's relay publishes the events meanwhile, so its CPU counts: it is part of what the
request costs the service. Every POST carries an
``Idempotency-Key``, as the journeys' do (``--unkeyed``: none). The median of the rounds is printed last.

Usage: ``python bench/journey_cpu.py [N] [--rounds R] [--concurrency C] [--unkeyed] [--profile DIR]``.
``--profile DIR`` runs py-spy (``uv pip install py-spy``; not a dependency) on the measured service during
each kind of the last round, raw format, to ``DIR/<kind>.txt`` for bench/profile_summary.py.
Trace sampling: ``WJA_TRACE_SAMPLE_RATIO`` is passed on (default 1: every span exported, as in tests).
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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import embedded  # bench/ is on sys.path: the script's directory
import httpx
import psutil
from report_cpu import cpu
from run import report
from wja_cli.simulate import Agencies, create_sessions
from wja_cli.up import Stack
from wja_platform import auth

SERVICES = ("intake", "charging", "court", "support")
FORCE = "01"  # the force the default IDVA team serves
WHO = {
    "intake": ("police", "officer", {"force": FORCE}),
    "charging": ("cps", "prosecutor", {}),
    "court": ("court", "listing_officer", {}),
    "support": ("idva", "manager", {"team": "default"}),
}
Request = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]


def spans_written(state_dir: Path, service: str) -> int:
    """How many spans the service has written to its span file so far (one JSON line each)."""
    path = state_dir / "traces" / f"{service}.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def pg_backends(pg: psutil.Process, database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to ``database`` (its title: ``postgres: user db …``)."""
    found = {}
    for p in pg.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            words = " ".join(p.cmdline()).split()
            if len(words) > 2 and words[0] == "postgres:" and words[2] in (database, f"wja_{database}"):
                t = p.cpu_times()
                found[p.pid] = t.user + t.system
    return found


class Bench:
    def __init__(self, stack: Stack, args: argparse.Namespace) -> None:
        self.stack, self.args = stack, args
        assert stack.pg is not None and stack.pg.proc is not None
        self.pg = psutil.Process(stack.pg.proc.pid)
        self.procs = {s: psutil.Process(stack.procs[s].pid) for s in SERVICES}
        self.key = key = auth.ensure_dev_key(stack.state_dir).read_text().strip()
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        self.clients = {}
        for s, (agency, role, claims) in WHO.items():
            token = auth.mint(key, sub=f"bench-{s}", agency=agency, role=role, ttl_seconds=24 * 3600, **claims)
            self.clients[s] = httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{stack.ports[s]}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
                limits=limits,
            )
        self.idle: dict[str, float] = {}
        self.hearings: dict[str, dict[str, str]] = {}

    def post(self, path: Callable[[str], str], body: Callable[[str], dict[str, Any]]) -> Request:
        keyed = not self.args.unkeyed

        def send(client: httpx.AsyncClient, urn: str) -> Awaitable[httpx.Response]:
            headers = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
            return client.post(path(urn), json=body(urn), headers=headers)

        return send

    async def each(self, service: str, urns: list[str], request: Request, ok: Callable[[httpx.Response], bool]) -> int:
        """``request`` once for each URN, ``concurrency`` at a time; how many answered as ``ok`` says."""
        client, queue, good = self.clients[service], iter(urns), 0

        async def worker() -> None:
            nonlocal good
            for urn in queue:
                r = await request(client, urn)
                if ok(r):
                    good += 1
                else:
                    print(f"{service} {urn}: {r.status_code} {r.text[:200]}", file=sys.stderr)

        await asyncio.gather(*(worker() for _ in range(self.args.concurrency)))
        return good

    async def until(
        self, service: str, urns: list[str], request: Request, ok: Callable[[httpx.Response], bool]
    ) -> None:
        """Unmeasured: ask again for the URNs not yet ``ok`` until all are (downstream work arriving)."""
        left, deadline = list(urns), time.monotonic() + 120
        while left:
            answers = await asyncio.gather(*(request(self.clients[service], u) for u in left))
            left = [u for u, r in zip(left, answers, strict=True) if not ok(r)]
            if left and time.monotonic() > deadline:
                raise SystemExit(f"{service}: {len(left)} cases never got there ({answers[-1].text[:300]})")
            if left:
                await asyncio.sleep(0.3)

    async def measure(
        self, kind: str, service: str, urns: list[str], request: Request, status: int, profile: Path | None
    ):
        """One measured kind of request: CPU ms per request of the service and of its database's backends."""
        await asyncio.sleep(0.5)  # let the previous kind's downstream work and relay settle
        spy = None
        if profile is not None:
            spy = subprocess.Popen(  # noqa: ASYNC220 (py-spy runs beside, never awaited)
                [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(self.procs[service].pid),
                 "--rate", "200", "--format", "raw", "--output", str(profile / f"{kind}.txt"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            await asyncio.sleep(1)
        proc = self.procs[service]
        x0 = spans_written(self.stack.state_dir, service)
        s0, b0, w0 = cpu(proc), pg_backends(self.pg, service), time.perf_counter()
        good = await self.each(service, urns, request, lambda r: r.status_code == status)
        await asyncio.sleep(0.8)  # the relay publishes the last events, the span processor exports (every 0.5 s)
        s1, b1, window = cpu(proc), pg_backends(self.pg, service), time.perf_counter() - w0
        x1 = spans_written(self.stack.state_dir, service)
        if spy is not None:
            spy.send_signal(2)
            spy.wait()
        n = max(good, 1)
        gross = (s1 - s0) * 1000 / n
        return {
            "ok": good,
            "ms": round(gross, 2),
            "net_ms": round(gross - self.idle[service] * window / n, 2),
            "pg_ms": round(sum(t - b0.get(p, 0.0) for p, t in b1.items()) * 1000 / n, 2),
            "spans": round((x1 - x0) / n, 1),
        }

    async def open_cases(self, n: int) -> list[str]:
        """Unmeasured: ``n`` reports and charging requests at intake, then charging's files opened."""
        urns: list[str] = []

        async def one(client: httpx.AsyncClient, i: str) -> httpx.Response:
            r = await client.post("/v1/reports", json=report(FORCE, int(i)) | {"referral_basis": "consent"})
            if r.status_code == 201:
                urn = r.json()["urn"]
                urns.append(urn)
                body = {"evidence": ["bwv", "999_call", "photographs"], "requested_test": "full_code",
                        "anticipated_plea": "not_guilty"}  # fmt: skip
                r = await client.post(f"/v1/cases/{urn}/charging-requests", json=body)
            return r

        await self.each("intake", [str(i) for i in range(n)], one, lambda r: r.status_code == 200)
        await self.until("charging", urns, lambda c, u: c.get(f"/v1/cases/{u}"), self.file_open)
        return urns

    @staticmethod
    def file_open(r: httpx.Response) -> bool:
        return r.status_code == 200 and r.json().get("status") == "awaiting_decision"

    def listed(self, kind: str) -> Callable[[httpx.Response], bool]:
        def ok(r: httpx.Response) -> bool:
            if r.status_code != 200:
                return False
            for h in r.json():
                if h["type"] == kind and h["status"] == "listed":
                    self.hearings.setdefault(h["urn"], {})[kind] = h["hearing_id"]
                    return True
            return False

        return ok

    async def round(self, urns: list[str], profile: Path | None) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}

        def get(path: Callable[[str], str]) -> Request:
            return lambda c, u: c.get(path(u))

        decision = {"decision": "charge", "test": "full_code", "charges": [{"offence_code": "abh"}], "reason": "bench"}
        hearings = get(lambda u: f"/v1/cases/{u}/hearings")
        out["charging GET case"] = await self.measure(
            "charging_get_case", "charging", urns, get(lambda u: f"/v1/cases/{u}"), 200, profile
        )
        out["charging POST decision"] = await self.measure(
            "charging_post_decision",
            "charging",
            urns,
            self.post(lambda u: f"/v1/cases/{u}/decisions", lambda u: decision),
            200,
            profile,
        )
        await self.until("court", urns, hearings, self.listed("first_hearing"))
        out["court GET hearings"] = await self.measure("court_get_hearings", "court", urns, hearings, 200, profile)
        result = self.post(
            lambda u: f"/v1/hearings/{self.hearings[u]['first_hearing']}/result",
            lambda u: {"result": "not_guilty_plea"},
        )
        out["court POST plea"] = await self.measure("court_post_plea", "court", urns, result, 200, profile)
        await self.until("court", urns, hearings, self.listed("trial"))
        trial = self.post(
            lambda u: f"/v1/hearings/{self.hearings[u]['trial']}/result", lambda u: {"result": "effective"}
        )
        out["court POST trial result"] = await self.measure("court_post_trial", "court", urns, trial, 200, profile)
        verdict = self.post(lambda u: f"/v1/cases/{u}/verdict", lambda u: {"verdict": "convicted"})
        out["court POST verdict"] = await self.measure("court_post_verdict", "court", urns, verdict, 200, profile)
        sentence = self.post(lambda u: f"/v1/cases/{u}/sentence", lambda u: {"disposal": "community_order"})
        out["court POST sentence"] = await self.measure("court_post_sentence", "court", urns, sentence, 200, profile)
        timeline = get(lambda u: f"/v1/cases/{u}/timeline")
        await self.until("support", urns, timeline, lambda r: r.status_code == 200)
        out["support GET timeline"] = await self.measure(
            "support_get_timeline", "support", urns, timeline, 200, profile
        )
        return out


async def measured(stack: Stack, args: argparse.Namespace) -> None:
    bench = Bench(stack, args)
    agencies = Agencies(bench.key, {s: f"http://127.0.0.1:{stack.ports[s]}" for s in SERVICES})
    await create_sessions(agencies, days=60, capacity=1000)  # court lists into them (as `wja simulate` does)
    await agencies.close()
    urns = await bench.open_cases(args.n * args.rounds)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    for _ in range(20):  # until the set-up's downstream work (support's claim checks at intake) is done
        c0 = {s: cpu(p) for s, p in bench.procs.items()}
        await asyncio.sleep(3)
        bench.idle = {s: (cpu(p) - c0[s]) * 1000 / 3 for s, p in bench.procs.items()}
        if max(bench.idle.values()) < 40:
            break
    print(
        f"load average {os.getloadavg()[0]:.2f}; idle ms/s", {s: round(v, 1) for s, v in bench.idle.items()}, flush=True
    )
    rounds = []
    for r in range(args.rounds):
        last = r == args.rounds - 1
        rounds.append(await bench.round(urns[r * args.n : (r + 1) * args.n], args.profile if last else None))
        print(f"round {r + 1}: {rounds[-1]}", flush=True)
    print(
        f"\nmedian of {args.rounds} rounds, {args.n} requests each ({args.concurrency} in flight,"
        f" {'unkeyed' if args.unkeyed else 'keyed POSTs'}); load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'request':28} {'service ms':>10} {'less idle':>10} {'PostgreSQL ms':>14} {'spans':>6}")
    for kind in rounds[0]:
        med = {k: statistics.median(x[kind][k] for x in rounds) for k in ("ms", "net_ms", "pg_ms", "spans")}
        print(f"{kind:28} {med['ms']:10.2f} {med['net_ms']:10.2f} {med['pg_ms']:14.2f} {med['spans']:6.1f}")
    for client in bench.clients.values():
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--unkeyed", action="store_true")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    with embedded.running("wja-journey-cpu-", services=SERVICES) as up:
        asyncio.run(measured(up.stack, args))


if __name__ == "__main__":
    main()
