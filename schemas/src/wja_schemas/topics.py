"""Topic names: one topic per producing service, plus each consumer's retry and dead-letter topics.

Only the owner writes to its topic. The key of every record is the case URN.
"""

from __future__ import annotations

PRODUCERS = ("intake", "charging", "court", "support")

INTAKE_CASE = "wja.intake.case.v1"
CHARGING_CASE = "wja.charging.case.v1"
COURT_CASE = "wja.court.case.v1"
SUPPORT_CASE = "wja.support.case.v1"

CASE_TOPICS = {
    "intake": INTAKE_CASE,
    "charging": CHARGING_CASE,
    "court": COURT_CASE,
    "support": SUPPORT_CASE,
}
"""The producer's name → the topic it alone writes to."""


def case_topic(producer: str) -> str:
    """Return the topic that ``producer`` writes its case events to."""
    return f"wja.{producer}.case.v1"


def dlq_topic(consumer: str) -> str:
    """Return the dead-letter topic of ``consumer`` (e.g. ``wja.support.dlq.v1``)."""
    return f"wja.{consumer}.dlq.v1"


def retry_topic(consumer: str) -> str:
    """Return the retry topic of ``consumer``: where dead-letter replay sends events back."""
    return f"wja.{consumer}.retry.v1"
