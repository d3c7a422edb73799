""":func:`wja_cli.simulate.wait_for` paces its checks by what the step's waits took lately: under load an event
takes a second or more to reach the next agency, and checks from 50 ms on found nothing three times in four.
On a virtual clock (its sleeps advance the clock, nothing else runs), so the schedule is exact."""

from __future__ import annotations

import asyncio

import pytest
from wja_cli import simulate


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(simulate.asyncio, "sleep", sleep)
    monkeypatch.setattr(simulate.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(simulate, "PACE", {})
    return now


def waits(clock: list[float], arrives_after: float, step: str = "charging file opened") -> tuple[int, float]:
    """Checks made, and seconds waited, for an event that arrives ``arrives_after`` seconds into the wait."""
    started, checks = clock[0], [0]

    async def arrived() -> bool:
        checks[0] += 1
        return clock[0] - started >= arrives_after

    assert asyncio.run(simulate.wait_for(arrived, step)) is True
    return checks[0], clock[0] - started


def test_a_step_seen_before_is_first_checked_near_its_pace(clock: list[float]) -> None:
    first, took = waits(clock, 1.0)
    assert first == 5  # 0.05, 0.15, 0.35, 0.75, 1.25 s: a step not seen before starts at POLL_FIRST
    assert took == pytest.approx(1.25)
    later = [waits(clock, 1.0) for _ in range(10)]
    assert all(n <= 2 for n, _ in later)  # the first check at three quarters of the pace, the next a fifth later
    assert all(t < 1.3 for _, t in later)  # and the event is seen no later than before
    assert waits(clock, 1.0, "trial listed")[0] == 5  # another step has its own pace


def test_a_slow_spell_is_not_carried_into_the_waits_after_it(clock: list[float]) -> None:
    waits(clock, 30.0)  # e.g. a broker restarting
    checks, took = waits(clock, 0.1)
    assert took <= simulate.FIRST_MAX  # the first check comes at FIRST_MAX at the latest, and finds it
    assert checks == 1
