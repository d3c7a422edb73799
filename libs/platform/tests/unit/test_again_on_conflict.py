"""A transaction PostgreSQL aborted for a conflict is run again, a bounded number of times (db.again_on_conflict)."""

from __future__ import annotations

import asyncpg
import pytest
from wja_platform import db


def _aborted_first(times: int, error: type[Exception] = asyncpg.DeadlockDetectedError):
    runs: list[int] = []

    async def run() -> str:
        runs.append(len(runs) + 1)
        if len(runs) <= times:
            raise error("aborted")
        return "done"

    return run, runs


async def test_a_run_aborted_twice_is_answered_on_its_third():
    run, runs = _aborted_first(2, asyncpg.SerializationError)
    assert await db.again_on_conflict(run, runs=3, what="a test") == "done"
    assert runs == [1, 2, 3]


async def test_the_last_runs_conflict_is_raised():
    run, runs = _aborted_first(5)
    with pytest.raises(asyncpg.DeadlockDetectedError):
        await db.again_on_conflict(run, runs=3, what="a test")
    assert runs == [1, 2, 3]


async def test_another_error_is_not_run_again():
    run, runs = _aborted_first(1, ValueError)
    with pytest.raises(ValueError):
        await db.again_on_conflict(run, runs=3, what="a test")
    assert runs == [1]
