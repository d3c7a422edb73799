"""Small helpers for driving the system over HTTP in end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

VICTIM = {
    "name": "Harriet Quill-Ashdown",
    "date_of_birth": "1987-03-14",
    "phone": "07700 900123",
    "email": "harriet.quill@example.org",
    "address": "14 Larch Row, Testtown TT4 2XY",
    "safe_contact": "ring after 6pm, say it is the pharmacy",
    "language": "en",
    "needs": ["interpreter"],
}
"""Synthetic victim data: the bus test searches every record for each of these values."""

CREATED_URNS: set[str] = set()
"""Every case the end-to-end tests created (other test packages put fixtures on the same topics)."""

PII_VALUES = [VICTIM[k] for k in ("name", "date_of_birth", "phone", "email", "address", "safe_contact")]


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def report_body(
    force: str = "01",
    *,
    score: int = 15,
    basis: str = "consent",
    offence: str = "abh",
    victim: dict[str, Any] | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "force_code": force,
        "reported_at": iso(now - timedelta(hours=1)),
        "offences": [{"code": offence, "occurred_at": iso(now - timedelta(hours=3))}],
        "victim": victim or VICTIM,
        "suspect": {"name": "Marcus Test", "date_of_birth": "1984-01-02", "relationship": "partner"},
        "risk": {"tool": "DASH", "score": score},
        "referral_basis": basis,
    }


def until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll ``check()`` until truthy (an event reached the next service)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def ok(response: Any, *status: int) -> Any:
    expected = status or (200, 201)
    assert response.status_code in expected, (
        f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text}"
    )
    return response.json() if response.content else None
