"""What the CPS asks of the service layer, typed (the HTTP entrypoint builds these from request bodies).

Events come in as the contract's own models (``wja_schemas``); the vocabularies the contract pins
(decision kinds, tests, bases, discontinuance reasons) are its ``Literal`` types, not copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from wja_schemas.types import ChargingTest, DecisionBasis, DecisionKind, DiscontinuanceReason, OffenceCode

from wja_charging.domain import model

ReviewOutcome = Literal["upheld", "overturned"]
"""As ``wja.charging.review.decided.v1`` names it."""
ReviewedDecision = Literal["no_further_action", "discontinuance"]
"""As ``wja.charging.review.requested.v1`` names it."""


@dataclass(frozen=True)
class Decide:
    """A prosecutor's charging decision on a file (the reason stays in this service)."""

    urn: str
    prosecutor: str
    decision: DecisionKind
    test: ChargingTest
    reason: str
    charges: tuple[OffenceCode, ...] = ()
    basis: DecisionBasis | None = None
    due_date: date | None = None
    bail_risk_justification: str | None = None

    def rules(self) -> model.DecisionRequest:
        """The decision as the domain's rules read it."""
        return model.DecisionRequest(
            self.decision, self.test, self.charges, self.basis, self.due_date, self.bail_risk_justification
        )


@dataclass(frozen=True)
class RequestReview:
    """A Victims' Right to Review request, by the caller named (agency, role, subject, team)."""

    urn: str
    agency: str
    role: str
    sub: str
    team: str | None
    requested_at: datetime
    exceptional: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class DecideReview:
    review_id: str
    outcome: ReviewOutcome
    reason: str


@dataclass(frozen=True)
class Discontinue:
    urn: str
    reason: DiscontinuanceReason
