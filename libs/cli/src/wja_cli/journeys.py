"""Planned case journeys: what happens to each simulated case, decided up front.

A plan is pure data drawn from a seeded random generator with the outcome mix calibrated
to published figures (domain.md section 6): CPS charge rate ≈ 79 %, conviction rate ≈ 75 %,
about half of unsuccessful outcomes due to victim issues (retraction, non-attendance,
evidence does not support). Because the plan is known, tests can count the expected outcome
measures by hand and compare them with what the system computed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

FIRST = ("Alex", "Sam", "Jo", "Chris", "Nikita", "Robin", "Jamie", "Morgan", "Taylor", "Casey")
LAST = ("Ashdown", "Brookes", "Carrow", "Delaney", "Ellery", "Fenwick", "Garside", "Hollis")
STREETS = ("Acacia Avenue", "Larch Row", "Mill Lane", "Orchard Close", "Quarry Hill")
OFFENCES = (
    "common_assault",
    "abh",
    "coercive_control",
    "strangulation",
    "harassment",
    "stalking",
    "threats_to_kill",
    "criminal_damage",
)
SUMMARY_ONLY_MAX_MONTHS = {"common_assault": 6, "harassment": 6, "stalking": 6}
"""Summary-only offences cap a custodial term at six months (court: wja_court.domain.sentencing.MAXIMA); the
other offences here allow 5 years or more, beyond every term drawn."""
TERMS_MONTHS = (3, 6, 12, 18, 24)
EVIDENCE = ("bwv", "999_call", "photographs", "medical", "witness_statement", "victim_statement")


@dataclass(frozen=True)
class Mix:
    """Probabilities of each branch (defaults calibrated to domain.md section 6)."""

    arrest: float = 0.45
    referral_to_cps: float = 0.6
    further_material_first: float = 0.1
    charge: float = 0.79
    oocd_share_of_not_charged: float = 0.15
    vrr_after_nfa: float = 0.1
    vrr_overturned: float = 0.3
    guilty_plea: float = 0.55
    conviction: float = 0.75
    victim_issue_share: float = 0.51
    restraining_order: float = 0.5
    consent: float = 0.7


@dataclass
class Victim:
    """Synthetic personal data: never real, and never allowed on the bus."""

    name: str
    date_of_birth: str
    phone: str
    email: str
    address: str
    safe_contact: str


@dataclass
class CasePlan:
    """Everything that will happen to one case."""

    index: int
    force: str
    reported_at: datetime
    offence: str
    dash_score: int
    referral_basis: str
    victim: Victim
    arrested: bool
    referred: bool
    further_material_first: bool = False
    decision: str | None = None  # charge | no_further_action | out_of_court_disposal
    nfa_basis: str | None = None
    vrr: bool = False
    vrr_overturned: bool = False
    plea: str | None = None  # guilty | not_guilty
    outcome: str | None = None  # convicted | acquitted | discontinued
    discontinuance_reason: str | None = None
    disposal: str | None = None
    custody_months: int | None = None
    restraining_order: bool = False
    closure_code: str | None = None
    urn: str | None = field(default=None)
    at: dict[str, Any] = field(default_factory=dict)
    """In simulated time (``wja_cli.timed``): when each step happened, e.g. ``{"decided": ("charge", t)}``."""
    told: list[tuple[datetime, int, int]] = field(default_factory=list)
    """In simulated time: each contact recorded with the victim (told at, on time, late)."""

    @property
    def charged(self) -> bool:
        return self.decision == "charge" or (self.vrr and self.vrr_overturned)

    @property
    def convicted(self) -> bool:
        return self.outcome == "convicted"


VICTIM_ISSUES = ("victim_retraction", "victim_non_attendance", "evidence_does_not_support")
OTHER_REASONS = ("other_evidential", "public_interest")


def _victim(rng: random.Random, i: int) -> Victim:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    dob = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 15000))
    return Victim(
        name=f"{first} {last}-{i:05d}",
        date_of_birth=dob.isoformat(),
        phone=f"07700 9{i % 100000:05d}",
        email=f"{first.lower()}.{last.lower()}.{i}@example.org",
        address=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, Testtown TT{i % 90 + 10} {i % 9}AB",
        safe_contact=f"call after 6pm on 07700 8{i % 100000:05d}, say it is the dentist (case {i})",
    )


def plan(
    n: int,
    *,
    seed: int = 1,
    mix: Mix = Mix(),
    forces: tuple[str, ...] = ("01",),
    start: datetime | None = None,
    days: int = 60,
) -> list[CasePlan]:
    """Draw ``n`` case plans, reported over ``days`` days from ``start``."""
    rng = random.Random(seed)
    # Reports over the 60 days before today: the services' clocks (bail dates, time limits) run on today.
    start = start or datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=61)
    plans = []
    for i in range(n):
        p = CasePlan(
            index=i,
            force=forces[i % len(forces)],
            reported_at=start + timedelta(minutes=rng.randrange(0, 60 * 24 * days)),
            offence=rng.choice(OFFENCES),
            dash_score=rng.randrange(1, 20),
            referral_basis="consent" if rng.random() < mix.consent else rng.choice(("none", "safeguarding")),
            victim=_victim(rng, i),
            arrested=rng.random() < mix.arrest,
            referred=rng.random() < mix.referral_to_cps,
        )
        if p.referred:
            p.further_material_first = rng.random() < mix.further_material_first
            if rng.random() < mix.charge:
                p.decision = "charge"
            elif rng.random() < mix.oocd_share_of_not_charged:
                p.decision = "out_of_court_disposal"
                p.closure_code = "1"
            else:
                p.decision = "no_further_action"
                p.nfa_basis = "evidential"
                p.vrr = rng.random() < mix.vrr_after_nfa
                p.vrr_overturned = p.vrr and rng.random() < mix.vrr_overturned
                if not p.vrr_overturned:
                    p.closure_code = rng.choice(("15", "16"))
        if p.charged:
            p.plea = "guilty" if rng.random() < mix.guilty_plea else "not_guilty"
            conviction_after_trial = (mix.conviction - mix.guilty_plea) / (1 - mix.guilty_plea)
            if p.plea == "guilty" or rng.random() < conviction_after_trial:
                p.outcome = "convicted"
                p.disposal = rng.choice(("custody", "suspended_sentence", "community_order", "fine"))
                with_term = p.disposal in ("custody", "suspended_sentence")
                cap = SUMMARY_ONLY_MAX_MONTHS.get(p.offence, TERMS_MONTHS[-1])
                p.custody_months = rng.choice([m for m in TERMS_MONTHS if m <= cap]) if with_term else None
                p.restraining_order = rng.random() < mix.restraining_order
            elif rng.random() < mix.victim_issue_share:
                p.outcome = "discontinued"
                p.discontinuance_reason = rng.choice(VICTIM_ISSUES)
            elif rng.random() < 0.5:
                p.outcome = "discontinued"
                p.discontinuance_reason = rng.choice(OTHER_REASONS)
            else:
                p.outcome = "acquitted"
                p.restraining_order = rng.random() < mix.restraining_order / 2
        plans.append(p)
    return plans
