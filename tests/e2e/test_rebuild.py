"""Replaying the whole log into an empty insights projection rebuilds the same figures."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from .helpers import ok, report_body, until

pytestmark = pytest.mark.e2e


def test_wja_insights_rebuild_gives_the_same_figures(system):
    police = system.client("intake", "police", "officer", "pc-r", force="05")
    for _ in range(6):  # a force of its own: every event of it comes from a producer's outbox
        ok(police.post("/v1/reports", json=report_body(force="05")), 201)
    analyst = system.client("insights", "cps", "analyst", "analyst-r")
    to = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    path = f"/v1/summary?from=2026-01-01&to={to}&force=05"
    until(lambda: (analyst.get(path).json()["reports"] or 0) >= 6, "insights to see the reports")
    before = until(lambda: (a := analyst.get(path).json()) == analyst.get(path).json() and a, "a stable projection")
    env = {
        **os.environ,
        "WJA_STATE_DIR": str(system.stack.state_dir),
        **{f"WJA_{s.upper()}_URL": system.url(s) for s in system.stack.services},
    }
    done = subprocess.run(
        [sys.executable, "-m", "wja_cli.main", "insights", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "rebuilt from" in done.stdout
    after = until(lambda: (a := analyst.get(path).json()) == before and a, "the rebuilt projection", timeout=90)
    assert after == before and after["reports"] >= 6
