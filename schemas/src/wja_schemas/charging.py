"""Events produced by the charging (CPS) service on topic ``wja.charging.case.v1``.

Key: the case URN. Consumers: intake (decisions: action plans, closure suggestions), court
(charges and discontinuances), support and insights (everything). Add fields; never rename
or remove; a breaking change is a new ``.v2`` type published alongside.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from wja_schemas.base import Event, register
from wja_schemas.types import (
    AnticipatedPlea,
    ChargingTest,
    DecisionBasis,
    DecisionKind,
    DiscontinuanceReason,
    ForceCode,
    OffenceCode,
    RiskLevel,
    UtcDatetime,
)


class ChargingEvent(Event):
    """Base of the events charging produces."""

    producer: ClassVar[str] = "charging"


class Charge(BaseModel):
    """One charge: the offence code with its statute and mode of trial."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    offence_code: OffenceCode
    statute: str = Field(default="", max_length=80)
    mode_of_trial: Literal["summary", "either_way", "indictable"] | None = None


@register
class DecisionMade(ChargingEvent):
    """Emitted when a prosecutor makes a charging decision on a file.

    Self-contained: court lists the first hearing from a charge (remand, anticipated plea,
    force, risk), intake records the action plan or the suggested closure code. The
    prosecutor's reasons stay in the CPS database.
    Consumers: intake, court (charge), support (victim told), insights (charge rate, days to decide).
    """

    ce_type: ClassVar[str] = "wja.charging.decision.made.v1"

    decision: DecisionKind
    test: ChargingTest
    charges: list[Charge] = Field(default_factory=list)
    basis: DecisionBasis | None = None
    due_date: date | None = None
    review_by: date | None = None
    suggested_outcome_code: str | None = Field(default=None, pattern=r"^([1-9]|1[0-9]|2[0-2]|1A)$")
    force_code: ForceCode | None = None
    risk_level: RiskLevel | None = None
    remanded: bool = False
    anticipated_plea: AnticipatedPlea = "unknown"
    days_to_decision: int | None = Field(default=None, ge=0)
    decided_at: UtcDatetime


@register
class FileFinalised(ChargingEvent):
    """Emitted when a file is administratively finalised (further material not returned by its due date).

    Consumers: intake, support, insights (administratively finalised).
    """

    ce_type: ClassVar[str] = "wja.charging.file.finalised.v1"

    reason: Literal["further_material_not_returned"] = "further_material_not_returned"
    finalised_at: UtcDatetime


@register
class ReviewRequested(ChargingEvent):
    """Emitted when a Victims' Right to Review request against an NFA or discontinuance is accepted.

    ``late`` is true when made after 10 working days. Consumers: support, insights.
    """

    ce_type: ClassVar[str] = "wja.charging.review.requested.v1"

    review_id: str = Field(max_length=64)
    decision_type: Literal["no_further_action", "discontinuance"]
    requested_at: UtcDatetime
    late: bool = False


@register
class ReviewDecided(ChargingEvent):
    """Emitted when a VRR is decided; overturned reopens the file for a new decision.

    Consumers: support (victim told), insights.
    """

    ce_type: ClassVar[str] = "wja.charging.review.decided.v1"

    review_id: str = Field(max_length=64)
    outcome: Literal["upheld", "overturned"]
    decided_at: UtcDatetime


@register
class ProceedingsDiscontinued(ChargingEvent):
    """Emitted when the CPS discontinues proceedings (POA 1985 s23) with a reason category.

    Consumers: court (vacates future hearings), intake, support (victim told), insights
    (unsuccessful outcomes, victim-issue share).
    """

    ce_type: ClassVar[str] = "wja.charging.proceedings.discontinued.v1"

    reason: DiscontinuanceReason
    discontinued_at: UtcDatetime
