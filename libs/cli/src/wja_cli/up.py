"""`wja up`: the whole system on the embedded defaults, each part its own process.

Starts PostgreSQL (one database and role per service, data kept under the state directory),
the Tansu broker, and every service, waits until each is ready, prints the URLs, then
supervises them all (:mod:`wja_cli.supervise`: a part that exits is restarted, PostgreSQL with
crash recovery, the broker as a new, empty one), and on Ctrl-C stops everything it started.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console

from wja_cli import config
from wja_cli.stack import (
    SERVICES,
    Broker,
    Postgres,
    StackError,
    port_free,
    stop_process,
    wait_for_port,
)
from wja_cli.supervise import Supervisor

console = Console()


def available_services() -> list[str]:
    """The services whose package is installed and runnable (has a bootstrap module)."""
    return [s for s in SERVICES if importlib.util.find_spec(f"wja_{s}.bootstrap") is not None]


@dataclass
class Stack:
    """A running embedded stack."""

    state_dir: Path
    pg_port: int = config.POSTGRES_PORT
    broker_port: int = config.BROKER_PORT
    ports: dict[str, int] = field(default_factory=lambda: dict(config.PORTS))
    services: list[str] = field(default_factory=available_services)
    pg: Postgres | None = None
    broker: Broker | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)

    def check_ports(self) -> None:
        taken = [
            f"{name} ({port})"
            for name, port in [
                ("PostgreSQL", self.pg_port),
                ("broker", self.broker_port),
                *[(s, self.ports[s]) for s in self.services],
            ]
            if not port_free(port)
        ]
        if taken:
            raise StackError("ports already in use: " + ", ".join(taken) + ". Is another `wja up` running?")

    def env_for(self, service: str) -> dict[str, str]:
        assert self.pg is not None and self.broker is not None
        prefix = service.upper()
        env = {k: v for k, v in os.environ.items() if not k.startswith("WJA_") or k == "WJA_ENV"}
        env.update(
            {
                f"{prefix}_DATABASE_URL": self.pg.dsn(service),
                f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap,
                f"{prefix}_HTTP_PORT": str(self.ports[service]),
                "WJA_STATE_DIR": str(self.state_dir),
                "WJA_INTAKE_URL": f"http://127.0.0.1:{self.ports['intake']}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if env.get("WJA_ENV", "dev") != "prod":  # the dev stack honours `wja simulate`'s signed simulated time
            env["WJA_SIMULATION"] = os.environ.get("WJA_SIMULATION", "true")
        env.update(self.extra_env)
        return env

    def start_infra(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.pg = Postgres(self.pg_port, self.state_dir / "postgres" / "data")
        self.pg.start()
        self.pg.ensure_databases()
        self.broker = Broker(self.broker_port, self.state_dir / "logs" / "broker.log")
        self.broker.start()

    def start_service(self, service: str) -> subprocess.Popen[bytes]:
        log = self.state_dir / "logs" / f"{service}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", f"wja_{service}"],
                env=self.env_for(service),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.procs[service] = proc
        return proc

    def wait_ready(self, service: str, timeout: float = 60) -> None:
        proc = self.procs[service]
        log = self.state_dir / "logs" / f"{service}.log"
        wait_for_port(self.ports[service], proc, timeout, f"wja-{service}", log)
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.ports[service]}/readyz"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StackError(f"wja-{service} exited; see {log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise StackError(f"wja-{service} was not ready within {timeout:.0f}s; see {log}")

    def stop_service(self, service: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(service, None)
        if proc is not None:
            stop_process(proc, sig)

    def stop(self) -> None:
        for service in list(self.procs):
            self.stop_service(service)
        if self.broker is not None:
            self.broker.stop()
        if self.pg is not None:
            self.pg.stop()


def run(state_dir: Path, services: list[str] | None = None) -> None:
    """Start everything, report progress, wait for Ctrl-C, stop everything."""
    stack = Stack(state_dir)
    if services is not None:
        stack.services = services
    stack.check_ports()
    stopping = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        with console.status("starting PostgreSQL and the broker…"):
            stack.start_infra()
        console.print(f"[green]✓[/green] PostgreSQL  127.0.0.1:{stack.pg_port}   broker  127.0.0.1:{stack.broker_port}")
        for service in stack.services:
            stack.start_service(service)
        for service in stack.services:
            with console.status(f"waiting for wja-{service}…"):
                stack.wait_ready(service)
            console.print(f"[green]✓[/green] wja-{service:<9} http://127.0.0.1:{stack.ports[service]}  (docs: /docs)")
        if "support" in stack.services:
            console.print(f"\nIDVA web page: http://127.0.0.1:{stack.ports['support']}/ui/")
        console.print(
            "\nTokens: .venv/bin/wja token --agency police --role officer --sub pc-1 --force 01\n"
            f"Logs: {state_dir / 'logs'}   Traces: .venv/bin/wja trace <urn>\n"
            f"Crashed parts are restarted (see {state_dir / 'logs' / 'supervisor.log'}).\n"
            "Press Ctrl-C to stop everything."
        )
        Supervisor(stack, say=lambda message: console.print(f"[yellow]{message}[/yellow]")).run()
    except KeyboardInterrupt:
        console.print("\nstopping…")
    except StackError as exc:
        console.print(f"[red]error:[/red] {exc}")
        stack.stop()
        raise SystemExit(1) from None
    finally:
        stack.stop()
    if not stopping:
        console.print("stopped.")
