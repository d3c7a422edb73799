"""Stopping a server waits until nothing of it is left, so a restart never meets its remains."""

import signal
import subprocess
import sys
import time

from wja_cli.stack import group_alive, stop_process

# A leader that leaves on SIGTERM while its child ignores SIGTERM and lingers: PostgreSQL's
# backends outliving an unclean postmaster exit look like this to whoever starts it again.
LEADER = """
import os, signal, subprocess, sys, time
subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(600)"])
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
time.sleep(600)
"""


def test_stop_process_returns_only_when_the_whole_group_is_gone():
    proc = subprocess.Popen([sys.executable, "-c", LEADER], start_new_session=True)
    deadline = time.monotonic() + 10
    while not group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the child is started
    stop_process(proc, signal.SIGTERM, timeout=5)
    assert proc.returncode == 0  # the leader left on the first signal
    assert not group_alive(proc.pid)  # and its stubborn child did not outlive the call


def test_a_leader_that_ignores_the_first_signal_is_escalated():
    proc = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(600)"],
        start_new_session=True,
    )
    time.sleep(0.3)
    started = time.monotonic()
    stop_process(proc, signal.SIGINT, timeout=1, escalate=signal.SIGTERM)
    assert proc.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 5
    assert not group_alive(proc.pid)
