"""eventually(): a failure names what the system was doing, and a failing diagnosis never hides the failure."""

from __future__ import annotations

import pytest
from wja_cli.testing import eventually


async def _false():
    return False


async def _boom():
    raise RuntimeError("pool closed")


async def _why():
    return "consumer idle"


async def test_a_failure_carries_the_diagnosis_or_why_there_is_none() -> None:
    with pytest.raises(AssertionError, match=r"within 0\.1s; consumer idle$"):
        await eventually(_false, timeout=0.1, explain=_why)
    with pytest.raises(AssertionError, match=r"within 0\.1s; \(no diagnosis: RuntimeError\('pool closed'\)\)"):
        await eventually(_false, timeout=0.1, explain=_boom)
