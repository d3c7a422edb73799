"""A running insights service on the session's broker and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from wja_cli.testing import ServedApp, serials, served
from wja_insights.bootstrap import create_app
from wja_insights.config import InsightsSettings
from wja_platform.clock import Clock


@dataclass
class Insights(ServedApp):
    caller = ("police", "analyst", "analyst-1")


@pytest.fixture
def serve(stack):
    """``serve(clock, **settings)``: an insights app of the test's own (e.g. a fixed clock, a short retention)."""

    def start(clock=None, **settings):
        return served(stack, "insights", create_app, InsightsSettings, Insights, clock or Clock(), **settings)

    return start


@pytest.fixture
async def insights(serve):
    async with serve() as app:
        yield app


FORCES = serials(10, 99)
"""Force codes, each drawn once in the run: tests share one insights database, and a force's figures must be one
test's alone (two tests drawing the same code at random once counted 16 reports where one test made 10)."""


@pytest.fixture
def fresh_force():
    """``fresh_force()``: a force code no other test of this run has drawn."""
    return lambda: str(next(FORCES))
