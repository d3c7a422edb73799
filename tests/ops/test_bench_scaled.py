"""The figures of the scaled-out apply (bench/consume_ratio.py: ``scaled_figures``) from replicas' samples.

Each sample is ``(events applied so far, wall time, CPU seconds)`` of one replica, as bench/apply_replica.py
prints them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))  # scripts, not a package
from consume_ratio import scaled_figures


def test_first_to_last_overlap_and_cpu() -> None:
    # replica A: 500 at t=10, 1000 at 10.5, 1500 at 11, 2000 at 12; B: 500 at 10.2, 1000 at 10.7 (it ends first)
    a = [(500, 10.0, 1.0), (1000, 10.5, 1.05), (1500, 11.0, 1.1), (2000, 12.0, 1.2)]
    b = [(500, 10.2, 2.0), (1000, 10.7, 2.06)]
    figures = scaled_figures([a, b], 3000)
    assert figures["per_s"] == pytest.approx(3000 / 2.0)  # the first applied (10.0) to the last (12.0)
    # both applied from 10.2 (B's first) to 10.7 (B's last): A moved 500 → 1000 (its last samples at or before
    # each end: 500 at 10.0, 1000 at 10.5), B 500 → 1000
    assert figures["overlap_s"] == pytest.approx(0.5)
    assert figures["overlap_per_s"] == pytest.approx((500 + 500) / 0.5)
    # CPU from each replica's first sample to its last, over the events applied between them
    assert figures["cpu_us_per_event"] == pytest.approx((0.2 + 0.06) * 1e6 / (1500 + 500))
    assert figures["shares"] == [2000, 1000]


def test_a_replica_that_applied_nothing_has_no_overlap() -> None:
    figures = scaled_figures([[(500, 1.0, 0.1), (1000, 2.0, 0.2)], []], 1000)
    assert figures["overlap_per_s"] is None
    assert figures["shares"] == [1000, 0]
    assert figures["per_s"] == pytest.approx(1000.0)
