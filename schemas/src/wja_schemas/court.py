"""Events produced by the court (SDAC listing) service on topic ``wja.court.case.v1``.

Key: the case URN. Consumers: support (timeline, what the victim must be told), insights
(prosecutions, convictions, restraining orders). Add fields; never rename or remove; a
breaking change is a new ``.v2`` type published alongside. Conditions travel as codes only.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from wja_schemas.base import Event, register
from wja_schemas.types import (
    Code,
    ConditionCode,
    CourtBailKind,
    Disposal,
    HearingResult,
    HearingType,
    OpaqueId,
    SpecialMeasure,
    UtcDatetime,
    Verdict,
)

HearingId = OpaqueId
"""A hearing's id, minted by court."""


class CourtEvent(Event):
    """Base of the events court produces."""

    producer: ClassVar[str] = "court"


@register
class HearingListed(CourtEvent):
    """Emitted when a hearing is listed into an SDAC session (first hearing, trial, sentencing).

    Key: the case URN. Consumers: support (victim told the date within 1 working day), insights.
    """

    ce_type: ClassVar[str] = "wja.court.hearing.listed.v1"

    hearing_id: HearingId = Field(description="The hearing's id, minted by court.")
    type: HearingType
    session_id: OpaqueId = Field(description="The session the hearing is listed in.")
    court_code: Code = Field(description="The court sitting the session.")
    starts_at: UtcDatetime
    listed_at: UtcDatetime


@register
class HearingUnlisted(CourtEvent):
    """Emitted when a hearing is needed but no session has capacity: it waits in the unlisted queue.

    Key: the case URN. Consumers: support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.court.hearing.unlisted.v1"

    hearing_id: HearingId = Field(description="The hearing's id, minted by court.")
    type: HearingType
    court_code: Code | None = Field(default=None, description="The court that will list it, when one serves the force.")
    reason: Code = Field(default="no_capacity", description="Why it is unlisted, as a code (e.g. no_capacity).")
    target_date: date | None = Field(default=None, description="The earliest day it should be listed on.")


@register
class HearingVacated(CourtEvent):
    """Emitted when a listed hearing is taken out of its session (e.g. after discontinuance).

    Key: the case URN. Consumers: support (victim told), insights.
    """

    ce_type: ClassVar[str] = "wja.court.hearing.vacated.v1"

    hearing_id: HearingId = Field(description="The hearing's id, minted by court.")
    reason: Code = Field(description="Why, as a code (e.g. discontinued).")
    vacated_at: UtcDatetime


@register
class HearingResulted(CourtEvent):
    """Emitted when a hearing's result is recorded (plea, adjournment, trial effectiveness).

    Key: the case URN. Consumers: support (victim told), insights (guilty pleas count as convictions).
    """

    ce_type: ClassVar[str] = "wja.court.hearing.resulted.v1"

    hearing_id: HearingId = Field(description="The hearing's id, minted by court.")
    type: HearingType
    result: HearingResult
    reason_code: Code | None = Field(
        default=None, description="Why (e.g. of a cracked or ineffective trial), as a code."
    )
    resulted_at: UtcDatetime


@register
class CourtBailDecided(CourtEvent):
    """Emitted when the court remands or bails the defendant (conditions as codes).

    Key: the case URN. Consumers: support (victim told within 1 working day), insights.
    """

    ce_type: ClassVar[str] = "wja.court.bail.decided.v1"

    hearing_id: HearingId | None = Field(default=None, description="The hearing at which bail was decided.")
    kind: CourtBailKind
    conditions: list[ConditionCode] = Field(default_factory=list, description="Bail conditions, as codes.")
    decided_at: UtcDatetime


@register
class SpecialMeasuresDecided(CourtEvent):
    """Emitted when the court decides a special-measures application (DA complainants are eligible).

    Key: the case URN. Consumers: support (victim told), insights.
    """

    ce_type: ClassVar[str] = "wja.court.special_measures.decided.v1"

    request_id: OpaqueId | None = Field(default=None, description="The support request this answers.")
    measures: list[SpecialMeasure] = Field(default_factory=list, description="The measures decided.")
    granted: bool
    refusal_reason_code: Code | None = Field(default=None, description="Why refused, as a code.")
    decided_at: UtcDatetime


@register
class VerdictRecorded(CourtEvent):
    """Emitted when a verdict is recorded after a not-guilty plea and trial.

    Key: the case URN. Consumers: support (victim told), insights (convictions).
    """

    ce_type: ClassVar[str] = "wja.court.verdict.recorded.v1"

    verdict: Verdict
    recorded_at: UtcDatetime


@register
class SentenceImposed(CourtEvent):
    """Emitted when a sentence is imposed after conviction (guilty plea or verdict).

    Key: the case URN. Consumers: support (victim told; Victim Contact Scheme when ``vcs_eligible``),
    insights.
    """

    ce_type: ClassVar[str] = "wja.court.sentence.imposed.v1"

    disposal: Disposal
    custody_months: int | None = Field(
        default=None, ge=0, le=600, description="The custodial term in calendar months (custody, suspended sentence)."
    )
    custody_days: int | None = Field(
        default=None,
        ge=0,
        le=36600,
        description="The custodial term in days, when the court gave it in days or weeks instead of months.",
    )
    vcs_eligible: bool | None = Field(
        default=None,
        description="Whether the victim is owed the Victim Contact Scheme (DVCVA 2004 s35: immediate custody of 12 "
        "months or more for a violent or sexual offence); null from producers that did not compute it.",
    )
    imposed_at: UtcDatetime


@register
class RestrainingOrderMade(CourtEvent):
    """Emitted when a restraining order is made on conviction (SA 2020 s360) or acquittal (PHA 1997 s5A).

    ``until`` null means until further order.

    Key: the case URN. Consumers: support (victim told), insights (restraining orders).
    """

    ce_type: ClassVar[str] = "wja.court.restraining_order.made.v1"

    basis: Literal["conviction", "acquittal"]
    until: date | None = Field(default=None, description="Last day of the order; null: until further order.")
    conditions: list[ConditionCode] = Field(default_factory=list, description="Prohibitions, as codes.")
    made_at: UtcDatetime
