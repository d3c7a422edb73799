"""Listing rules: target dates, priority, trial effectiveness codes, what each result leads to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from wja_court.domain.errors import IllegalTransition, Invalid

INEFFECTIVE_CODES = {
    # prosecution
    "M1",
    "M2",
    "M3",
    "M4",
    "N",
    "O",
    # defence
    "Q1",
    "Q2",
    "Q3",
    "R",
    "S1",
    "S2",
    "S4",
    "T",
    "U1",
    "U2",
    "V",
    # court
    "W1",
    "W2",
    "W3",
    "W4",
    "X",
    # other
    "S3",
    "W5",
    "Y",
    "Z",
}
"""HMCTS ineffective-trial reason codes grouped by party (domain.md 3.4)."""


@dataclass(frozen=True)
class ListingRules:
    """All configurable: days to the target date and the capacity each hearing type uses."""

    guilty_plea_days: int = 14
    not_guilty_days: int = 28
    trial_after_plea_days: int = 7
    sentencing_after_plea_days: int = 21
    adjourn_days: int = 14
    weights: dict[str, int] = field(
        default_factory=lambda: {"first_hearing": 1, "trial": 3, "sentencing": 1, "other": 1}
    )

    def first_hearing_target(self, charged_at: datetime, remanded: bool, anticipated_plea: str) -> datetime:
        """Remanded: the next sitting; guilty plea anticipated: 14 days; otherwise 28."""
        if remanded:
            return charged_at
        days = self.guilty_plea_days if anticipated_plea == "guilty" else self.not_guilty_days
        return charged_at + timedelta(days=days)

    def after_result(self, result: str, hearing_type: str, session_start: datetime) -> tuple[str, datetime] | None:
        """The hearing a result leads to, with its target date (or None)."""
        if result == "guilty_plea":
            return "sentencing", session_start + timedelta(days=self.sentencing_after_plea_days)
        if result == "not_guilty_plea":
            return "trial", session_start + timedelta(days=self.trial_after_plea_days)
        if result == "adjourned" or (result == "ineffective" and hearing_type == "trial"):
            return hearing_type, session_start + timedelta(days=self.adjourn_days)
        return None


def priority(remanded: bool, risk_level: str | None) -> tuple[int, int]:
    """Remand and high risk go first when cases compete for capacity."""
    return (0 if remanded else 1, {"high": 0, "medium": 1}.get(risk_level or "", 2))


def check_result(result: str, reason_code: str | None) -> None:
    if result == "ineffective":
        if not reason_code:
            raise Invalid("an ineffective trial needs its reason code", field="reason_code")
        if reason_code not in INEFFECTIVE_CODES:
            raise Invalid("not an HMCTS ineffective-trial reason code", field="reason_code")


def check_verdict(case: dict) -> None:
    if not case["not_guilty_plea"]:
        raise IllegalTransition("a verdict needs a not-guilty plea first")
    if case["verdict"]:
        raise IllegalTransition("a verdict is already recorded")
    if case["discontinued"]:
        raise IllegalTransition("the proceedings were discontinued")


def convicted(case: dict) -> bool:
    return case["guilty_plea"] or case["verdict"] == "convicted"


def check_sentence(case: dict, disposal: str, custody_months: int | None) -> None:
    if not convicted(case):
        raise IllegalTransition("a sentence needs a conviction (guilty plea or verdict)")
    if case["sentence"]:
        raise IllegalTransition("a sentence is already recorded")
    if disposal in ("custody", "suspended_sentence") and not custody_months:
        raise Invalid("custody needs its length in months", field="custody_months")


def check_restraining_order(case: dict, basis: str) -> None:
    if basis == "conviction" and not convicted(case):
        raise IllegalTransition("an order on conviction (SA 2020 s360) needs a conviction")
    if basis == "acquittal" and case["verdict"] not in ("acquitted", "dismissed"):
        raise IllegalTransition("an order on acquittal (PHA 1997 s5A) needs an acquittal")
