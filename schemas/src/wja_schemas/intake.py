"""Events produced by the intake (police) service on topic ``wja.intake.case.v1``.

Key: the case URN. Consumers: charging (charging requests, further material), support
(everything, for the timeline), insights (everything). Rules: add optional fields; never
rename or remove one; a breaking change is a new ``.v2`` type published alongside.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from wja_schemas.base import Event, register
from wja_schemas.types import ForceCode, OffenceCode, RiskLevel, Suspect, UtcDatetime, VictimRef


class IntakeEvent(Event):
    """Base of the events intake produces."""

    producer: ClassVar[str] = "intake"


@register
class CrimeReported(IntakeEvent):
    """Emitted when police record a domestic abuse crime report and mint its URN.

    Carries references and codes only: the victim is ``victim_ref``, never a name.
    Consumers: support (opens the timeline), insights (reports).
    """

    ce_type: ClassVar[str] = "wja.intake.crime.reported.v1"

    force_code: ForceCode
    unit: str = Field(pattern=r"^[A-Z0-9]{2}$")
    victim_ref: VictimRef
    reported_at: UtcDatetime
    offence_codes: list[OffenceCode] = Field(min_length=1)
    offences_occurred_at: list[UtcDatetime] = Field(default_factory=list)
    da_flag: bool = True
    risk_level: RiskLevel
    suspect: Suspect
    relationship: str | None = Field(default=None, max_length=40)
    referral_basis: Literal["consent", "marac", "safeguarding", "none"]
