"""Intake's own Prometheus metrics: the claim check (who reads victims' contact details)."""

from __future__ import annotations

from prometheus_client import Counter

REFUSAL_REASONS = ("not_permitted", "no_basis", "gone")
"""``not_permitted``: not the assigned IDVA (within their forces), an IDVA manager or the support service;
``no_basis``: no referral basis was given, or consent was withdrawn; ``gone``: the details were purged (410)."""

CLAIM_CHECK_READS = Counter("wja_claim_check_reads_total", "Claim checks answered with contact details")
CLAIM_CHECK_REFUSALS = Counter(
    "wja_claim_check_refusals_total", "Claim checks refused (each is also in the referral audit)", ["reason"]
)
for _reason in REFUSAL_REASONS:
    CLAIM_CHECK_REFUSALS.labels(_reason)
