"""Events produced by the charging (CPS) service on topic ``wja.charging.case.v1``.

Key: the case URN. Consumers: intake (decisions: action plans, closure suggestions), court
(charges and discontinuances), support and insights (everything). Add fields; never rename
or remove; a breaking change is a new ``.v2`` type published alongside. The prosecutor's
reasons (free text) stay in the CPS database: only codes travel.
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
    OpaqueId,
    OutcomeCode,
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
    statute: str = Field(
        default="", max_length=80, description="The statutory provision, e.g. OAPA 1861 s47 (from the offence code)."
    )
    mode_of_trial: Literal["summary", "either_way", "indictable"] | None = None


@register
class DecisionMade(ChargingEvent):
    """Emitted when a prosecutor makes a charging decision on a file.

    Self-contained: court lists the first hearing from a charge (remand, anticipated plea,
    force, risk) without calling back; intake records the action plan (``due_date``) or the
    suggested closure code (no further action). The prosecutor's reasons stay in the CPS database.

    Key: the case URN. Consumers: intake (action plan, closure), court (charge: lists the first
    hearing), support (victim told within 1 working day), insights (charge rate, days to decide).
    """

    ce_type: ClassVar[str] = "wja.charging.decision.made.v1"

    decision: DecisionKind
    test: ChargingTest
    charges: list[Charge] = Field(default_factory=list, description="The charges (decision ``charge``).")
    basis: DecisionBasis | None = Field(default=None, description="Which test a no-charge decision failed.")
    due_date: date | None = Field(default=None, description="When further material is due (action plan).")
    review_by: date | None = Field(default=None, description="When a threshold-test charge must be reviewed.")
    suggested_outcome_code: OutcomeCode | None = Field(
        default=None, description="Home Office outcome code police should close with (no further action)."
    )
    force_code: ForceCode | None = None
    risk_level: RiskLevel | None = None
    remanded: bool = Field(default=False, description="Whether the suspect is remanded (first hearing next sitting).")
    anticipated_plea: AnticipatedPlea = "unknown"
    days_to_decision: int | None = Field(
        default=None, ge=0, description="Days from the charging request to this decision."
    )
    decided_at: UtcDatetime


@register
class FileFinalised(ChargingEvent):
    """Emitted when a file is administratively finalised (further material not returned by its due date).

    Key: the case URN. Consumers: intake (file closed), support (timeline), insights (administratively finalised).
    """

    ce_type: ClassVar[str] = "wja.charging.file.finalised.v1"

    reason: Literal["further_material_not_returned"] = "further_material_not_returned"
    finalised_at: UtcDatetime


@register
class ReviewRequested(ChargingEvent):
    """Emitted when a Victims' Right to Review request against an NFA or discontinuance is accepted.

    ``late`` is true when made after 10 working days (accepted, flagged).

    Key: the case URN. Consumers: support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.charging.review.requested.v1"

    review_id: OpaqueId = Field(description="The review's id, minted by charging.")
    decision_type: Literal["no_further_action", "discontinuance"]
    requested_at: UtcDatetime
    late: bool = Field(default=False, description="Requested after the 10 working days the VRR scheme allows.")
    exceptional: bool = Field(
        default=False,
        description="Accepted more than 3 months after the decision, in exceptional circumstances (the reason stays "
        "with the CPS).",
    )


@register
class ReviewDecided(ChargingEvent):
    """Emitted when a Victims' Right to Review is decided; overturned reopens the file for a new decision.

    Key: the case URN. Consumers: support (victim told), insights.
    """

    ce_type: ClassVar[str] = "wja.charging.review.decided.v1"

    review_id: OpaqueId = Field(description="The review's id, minted by charging.")
    outcome: Literal["upheld", "overturned"]
    decided_at: UtcDatetime


@register
class ProceedingsDiscontinued(ChargingEvent):
    """Emitted when the CPS discontinues proceedings (POA 1985 s23) with a reason category.

    Key: the case URN. Consumers: court (vacates future hearings), intake (closure), support
    (victim told within 1 working day), insights (unsuccessful outcomes, victim-issue share).
    """

    ce_type: ClassVar[str] = "wja.charging.proceedings.discontinued.v1"

    reason: DiscontinuanceReason
    discontinued_at: UtcDatetime
