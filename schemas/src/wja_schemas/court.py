"""Events produced by the court (SDAC listing) service on topic ``wja.court.case.v1``.

Key: the case URN. Consumers: support (timeline, what the victim must be told), insights
(prosecutions, convictions, restraining orders), intake (court bail, outcome). Add fields;
never rename or remove; a breaking change is a new ``.v2`` type published alongside.
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
    SpecialMeasure,
    UtcDatetime,
    Verdict,
)

HearingId = str


class CourtEvent(Event):
    """Base of the events court produces."""

    producer: ClassVar[str] = "court"


@register
class HearingListed(CourtEvent):
    """Emitted when a hearing is listed into an SDAC session (first hearing, trial, sentencing).

    Consumers: support (victim told the date within 1 working day), insights.
    """

    ce_type: ClassVar[str] = "wja.court.hearing.listed.v1"

    hearing_id: HearingId = Field(max_length=64)
    type: HearingType
    session_id: str = Field(max_length=64)
    court_code: Code
    starts_at: UtcDatetime
    listed_at: UtcDatetime


@register
class HearingUnlisted(CourtEvent):
    """Emitted when a hearing is needed but no session has capacity: it waits in the unlisted queue.

    Consumers: support, insights.
    """

    ce_type: ClassVar[str] = "wja.court.hearing.unlisted.v1"

    hearing_id: HearingId = Field(max_length=64)
    type: HearingType
    court_code: Code | None = None
    reason: Code = "no_capacity"
    target_date: date | None = None


@register
class HearingVacated(CourtEvent):
    """Emitted when a listed hearing is taken out of its session (e.g. after discontinuance).

    Consumers: support (victim told), insights.
    """

    ce_type: ClassVar[str] = "wja.court.hearing.vacated.v1"

    hearing_id: HearingId = Field(max_length=64)
    reason: Code
    vacated_at: UtcDatetime


@register
class HearingResulted(CourtEvent):
    """Emitted when a hearing's result is recorded (plea, adjournment, trial effectiveness).

    Consumers: support, insights (guilty pleas count as convictions).
    """

    ce_type: ClassVar[str] = "wja.court.hearing.resulted.v1"

    hearing_id: HearingId = Field(max_length=64)
    type: HearingType
    result: HearingResult
    reason_code: Code | None = None
    resulted_at: UtcDatetime


@register
class CourtBailDecided(CourtEvent):
    """Emitted when the court remands or bails the defendant (conditions as codes).

    Consumers: support (victim told), intake, insights.
    """

    ce_type: ClassVar[str] = "wja.court.bail.decided.v1"

    hearing_id: HearingId | None = Field(default=None, max_length=64)
    kind: CourtBailKind
    conditions: list[ConditionCode] = Field(default_factory=list)
    decided_at: UtcDatetime


@register
class SpecialMeasuresDecided(CourtEvent):
    """Emitted when the court decides a special-measures application (DA complainants are eligible).

    Consumers: support (victim told), insights.
    """

    ce_type: ClassVar[str] = "wja.court.special_measures.decided.v1"

    request_id: str | None = Field(default=None, max_length=64)
    measures: list[SpecialMeasure] = Field(default_factory=list)
    granted: bool
    refusal_reason_code: Code | None = None
    decided_at: UtcDatetime


@register
class VerdictRecorded(CourtEvent):
    """Emitted when a verdict is recorded after trial. Consumers: support, insights (convictions)."""

    ce_type: ClassVar[str] = "wja.court.verdict.recorded.v1"

    verdict: Verdict
    recorded_at: UtcDatetime


@register
class SentenceImposed(CourtEvent):
    """Emitted when a sentence is imposed after conviction.

    Consumers: support (VCS offered when custody ≥ 12 months), insights.
    """

    ce_type: ClassVar[str] = "wja.court.sentence.imposed.v1"

    disposal: Disposal
    custody_months: int | None = Field(default=None, ge=0, le=600)
    imposed_at: UtcDatetime


@register
class RestrainingOrderMade(CourtEvent):
    """Emitted when a restraining order is made on conviction (SA 2020 s360) or acquittal (PHA 1997 s5A).

    ``until`` null means until further order. Consumers: support, intake, insights.
    """

    ce_type: ClassVar[str] = "wja.court.restraining_order.made.v1"

    basis: Literal["conviction", "acquittal"]
    until: date | None = None
    conditions: list[ConditionCode] = Field(default_factory=list)
    made_at: UtcDatetime
