"""The supervisor of a running stack: what `wja up` runs, and what the fault suite runs beside its stack.

It watches PostgreSQL, the broker and every service process of a :class:`~wja_cli.up.Stack`, and
restarts the one that exited:

- **Soon.** A part found dead is restarted at the next look (every ``interval`` seconds, 0.5 by
  default), so within a second or two of the crash plus its own start-up time.
- **With backoff.** A part that dies again within ``stable_seconds`` of its restart, or fails to
  start, waits ``backoff_seconds`` before the next try, doubling each time up to ``max_backoff``.
  After ``stable_seconds`` up it counts as healthy again.
- **Said out loud.** Every crash, restart and failed start is printed and written, with the time,
  to ``<state dir>/logs/supervisor.log``.

PostgreSQL is started with crash recovery (:meth:`~wja_cli.stack.Postgres.recover`: orphaned
backends and stale lock files dealt with first). The broker is replaced by a new, empty one (the
embedded broker keeps nothing): the relays see its new cluster id and republish their outboxes.
The services are left to reconnect by themselves (their readiness says when they have).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from wja_cli.stack import StackError

if TYPE_CHECKING:
    from wja_cli.up import Stack


@dataclass
class Restart:
    """One restart the supervisor made: what, when it was found dead and when it was up again."""

    part: str
    exit_code: int | None
    found_dead: float
    up_again: float

    @property
    def seconds(self) -> float:
        return self.up_again - self.found_dead


class _Part(NamedTuple):
    name: str
    proc: subprocess.Popen[bytes] | None
    restart: Callable[[], None]
    after: str
    """What the restart means, said when it is done."""
    log: Path


@dataclass
class _Watch:
    failures: int = 0
    next_try: float = 0.0
    up_since: float = 0.0
    restarted: bool = False
    found_dead: float | None = None


@dataclass
class Supervisor:
    """Restarts the parts of ``stack`` that exit; :meth:`check` is one look, :meth:`run` looks for ever."""

    stack: Stack
    say: Callable[[str], None] = print
    interval: float = 0.5
    backoff_seconds: float = 1.0
    max_backoff: float = 30.0
    stable_seconds: float = 60.0
    restarts: list[Restart] = field(default_factory=list)
    _watches: dict[str, _Watch] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def log(self) -> Path:
        return self.stack.state_dir / "logs" / "supervisor.log"

    def _tell(self, message: str) -> None:
        self.say(message)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as out:
            out.write(f"{datetime.now(UTC).isoformat(timespec='milliseconds')} {message}\n")

    def _parts(self) -> list[_Part]:
        """Every part, infrastructure first."""
        stack = self.stack
        parts: list[_Part] = []
        if stack.pg is not None:
            parts.append(_Part("PostgreSQL", stack.pg.proc, stack.pg.recover, "crash recovery done", stack.pg.log))
        if stack.broker is not None:
            fresh = "a new, empty broker: the relays republish their outboxes to it"
            parts.append(_Part("the broker", stack.broker.proc, stack.broker.restart, fresh, stack.broker.log))
        for service, proc in list(stack.procs.items()):
            log = stack.state_dir / "logs" / f"{service}.log"
            parts.append(_Part(f"wja-{service}", proc, lambda s=service: self._restart_service(s), "starting", log))
        return parts

    def _restart_service(self, service: str) -> None:
        self.stack.start_service(service)

    def check(self) -> None:
        """Look at every part once; restart the dead ones whose backoff has passed."""
        for name, proc, restart, after, log in self._parts():
            watch = self._watches.setdefault(name, _Watch())
            now = time.monotonic()
            if proc is None or proc.poll() is None:
                if watch.failures and watch.found_dead is None and now - watch.up_since > self.stable_seconds:
                    watch.failures = 0
                continue
            if watch.found_dead is None:
                watch.found_dead = now
                if watch.restarted and now - watch.up_since < self.stable_seconds:
                    self._back_off(watch, now)  # it keeps failing: give it time
                self._tell(f"{name} exited ({_how(proc.returncode)}); restarting it")
            if now < watch.next_try:
                continue
            try:
                restart()
            except (StackError, OSError, subprocess.SubprocessError) as exc:
                delay = self._back_off(watch, time.monotonic())
                first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._tell(f"{name} did not start ({first_line}); next try in {delay:.1f} s; see {log}")
                continue
            up = time.monotonic()
            self.restarts.append(Restart(name, proc.returncode, watch.found_dead, up))
            self._tell(f"{name} restarted {up - watch.found_dead:.1f} s after it was found dead; {after} (log: {log})")
            watch.found_dead, watch.up_since, watch.restarted = None, up, True

    def _back_off(self, watch: _Watch, now: float) -> float:
        watch.failures += 1
        delay = min(self.backoff_seconds * 2 ** (watch.failures - 1), self.max_backoff)
        watch.next_try = now + delay
        return delay

    def run(self) -> None:
        """Check every ``interval`` seconds until :meth:`stop` (or KeyboardInterrupt)."""
        while not self._stop.wait(self.interval):
            self.check()

    def stop(self) -> None:
        self._stop.set()

    @contextlib.contextmanager
    def running(self) -> Iterator[Supervisor]:
        """Run in a background thread for the duration of the block (the fault suite's way)."""
        self._stop.clear()
        thread = threading.Thread(target=self.run, name="wja-supervisor", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.stop()
            thread.join(120)


def _how(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit code {returncode}"
