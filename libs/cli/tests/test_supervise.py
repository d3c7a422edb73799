"""The supervisor `wja up` runs: a crashed PostgreSQL or broker comes back by itself, with backoff when it cannot."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from wja_cli.stack import Broker, Postgres, StackError, _as_pg_user, _pg_bin, processes_in
from wja_cli.supervise import Supervisor
from wja_cli.testing import free_port
from wja_cli.up import Stack


def until(check, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stack_of(tmp_path: Path, pg: Postgres | None = None, broker: Broker | None = None) -> Stack:
    stack = Stack(state_dir=tmp_path / "state", services=[])
    stack.pg, stack.broker = pg, broker
    return stack


@pytest.fixture
def pg(tmp_path: Path):
    server = Postgres(free_port(), tmp_path / "pg" / "data")
    server.start()
    yield server
    server.stop()


def test_a_sigkilled_postmaster_is_recovered_though_a_backend_still_holds_its_memory(tmp_path, pg):
    pg.psql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
    spin = "DO $$BEGIN LOOP PERFORM 1; END LOOP; END$$"
    busy = subprocess.Popen(  # a backend busy computing does not notice its postmaster's death
        [_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-c", spin],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        until(lambda: "LOOP" in pg.psql("SELECT string_agg(query, ' ') FROM pg_stat_activity"), "the busy query")
        old = pg.proc
        os.kill(old.pid, signal.SIGKILL)
        old.wait(10)
        orphans = processes_in(pg.data_dir, "postgres")
        assert orphans and (pg.data_dir / "postmaster.pid").exists()  # the remains a crash leaves
        with pytest.raises(StackError, match="shared memory block"):
            pg.start(timeout=10)  # what a plain restart meets
        supervisor = Supervisor(stack_of(tmp_path, pg=pg), say=lambda _: None, interval=0.1)
        with supervisor.running():
            until(lambda: supervisor.restarts, "PostgreSQL restarted", timeout=60)
        assert pg.proc.poll() is None
        assert pg.psql("SELECT n FROM kept").strip() == "42"  # crash recovery kept what was committed
        assert not set(orphans) & set(processes_in(pg.data_dir, "postgres"))  # the orphans are gone
        restart = supervisor.restarts[0]
        assert restart.part == "PostgreSQL" and restart.exit_code == 1 and restart.seconds < 10
        log = supervisor.log.read_text()
        assert "PostgreSQL exited (exit code 1); restarting it" in log and "crash recovery done" in log
    finally:
        busy.kill()
        busy.wait()


def test_a_stale_lock_file_naming_another_live_process_does_not_stop_recovery(tmp_path, pg):
    old = pg.proc
    os.kill(old.pid, signal.SIGKILL)
    old.wait(10)
    lock = pg.data_dir / "postmaster.pid"
    # the dead postmaster's pid, reused by another process of PostgreSQL's user: PostgreSQL alone
    # refuses to start then ("lock file already exists")
    stranger = subprocess.Popen(["sleep", "60"], **_as_pg_user())  # type: ignore[call-overload]
    try:
        lines = lock.read_text().splitlines()
        lock.write_text("\n".join([str(stranger.pid), *lines[1:]]) + "\n")
        with pytest.raises(StackError, match="lock file"):
            pg.start(timeout=10)
        pg.recover()
        assert pg.psql("SELECT 1").strip() == "1"
        assert stranger.poll() is None  # not a PostgreSQL of this data directory: left alone
    finally:
        stranger.kill()
        stranger.wait()


def test_a_killed_broker_is_replaced_by_a_new_empty_one_on_the_same_port(tmp_path):
    broker = Broker(free_port(), tmp_path / "broker.log")
    broker.start()
    try:
        first = broker.cluster_id
        supervisor = Supervisor(stack_of(tmp_path, broker=broker), say=lambda _: None, interval=0.1)
        with supervisor.running():
            broker.proc.kill()
            until(lambda: supervisor.restarts, "the broker restarted")
        assert broker.cluster_id != first  # so the relays know to republish
        socket.create_connection(("127.0.0.1", broker.port), timeout=2).close()
        assert supervisor.restarts[0].seconds < 10
    finally:
        broker.stop()


def test_a_part_that_cannot_start_is_retried_with_growing_backoff_and_a_message(tmp_path):
    broker = Broker(free_port(), tmp_path / "broker.log")
    broker.start()
    said: list[str] = []
    supervisor = Supervisor(stack_of(tmp_path, broker=broker), say=said.append, interval=0.05, backoff_seconds=0.4)
    squatter = socket.socket()
    try:
        broker.proc.kill()
        broker.proc.wait(10)
        squatter.bind(("127.0.0.1", broker.port))  # something else took the port meanwhile
        squatter.listen()
        with supervisor.running():
            until(lambda: sum("did not start" in m for m in said) >= 3, "three failed starts", timeout=20)
            squatter.close()
            until(lambda: supervisor.restarts, "the broker restarted once the port was free", timeout=20)
        failed = [m for m in said if "did not start" in m]
        assert "already in use" in failed[0]
        delays = [float(m.rsplit("next try in ", 1)[1].split(" s")[0]) for m in failed[:3]]
        assert delays == sorted(delays) and delays[2] > delays[0]  # backing off, not hammering
        assert "did not start" in supervisor.log.read_text()
    finally:
        squatter.close()
        broker.stop()
