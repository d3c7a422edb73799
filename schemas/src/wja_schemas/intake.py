"""Events produced by the intake (police) service on topic ``wja.intake.case.v1``.

Key: the case URN. Consumers: charging (charging requests, further material), support
(everything, for the timeline), insights (everything). Rules: add optional fields; never
rename or remove one; a breaking change is a new ``.v2`` type published alongside.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from wja_schemas.base import Event, register
from wja_schemas.types import (
    AnticipatedPlea,
    BailKind,
    ChargingTest,
    Code,
    ConditionCode,
    EvidenceCode,
    ForceCode,
    OffenceCode,
    ReferralBasis,
    RiskLevel,
    RiskTool,
    SupportStatus,
    Suspect,
    UtcDatetime,
    VictimRef,
)


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
    relationship: Code | None = None
    referral_basis: ReferralBasis


@register
class RiskAssessed(IntakeEvent):
    """Emitted when a DASH or DARA risk assessment is recorded (at report or on review).

    Consumers: support (risk on the timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.risk.assessed.v1"

    tool: RiskTool
    tool_version: Code | None = None
    score: int | None = Field(default=None, ge=0, le=30)
    risk_level: RiskLevel
    marac_referral: bool = False
    assessed_at: UtcDatetime


@register
class SuspectArrested(IntakeEvent):
    """Emitted when the suspect is arrested. Consumers: support (victim told in 1 working day), insights."""

    ce_type: ClassVar[str] = "wja.intake.suspect.arrested.v1"

    arrested_at: UtcDatetime


@register
class SuspectInterviewed(IntakeEvent):
    """Emitted when the suspect is interviewed under caution. Consumers: support, insights."""

    ce_type: ClassVar[str] = "wja.intake.suspect.interviewed.v1"

    interviewed_at: UtcDatetime


@register
class BailDecided(IntakeEvent):
    """Emitted when police bail, release under investigation or remand the suspect before charge.

    Conditions are codes (an exclusion zone is a code, never a street). ``authorised_period_exceeded``
    flags an ``until`` beyond the period the rank may authorise (3, 6, 9 months).
    Consumers: support (victim told), charging (remand), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.bail.decided.v1"

    kind: BailKind
    conditions: list[ConditionCode] = Field(default_factory=list)
    until: date | None = None
    authorised_period_exceeded: bool = False
    decided_at: UtcDatetime


@register
class ProtectiveNoticeIssued(IntakeEvent):
    """Emitted when police issue a DVPN (or DAPN in pilot areas); the order hearing is due within 48 hours.

    Consumers: support, insights.
    """

    ce_type: ClassVar[str] = "wja.intake.protective_notice.issued.v1"

    kind: Literal["DVPN", "DAPN"]
    conditions: list[ConditionCode] = Field(default_factory=list)
    issued_at: UtcDatetime
    order_hearing_by: UtcDatetime | None = None


@register
class ProtectiveOrderDecided(IntakeEvent):
    """Emitted when magistrates decide a DVPO (or DAPO) applied for by police. Consumers: support, insights."""

    ce_type: ClassVar[str] = "wja.intake.protective_order.decided.v1"

    kind: Literal["DVPO", "DAPO"]
    granted: bool
    conditions: list[ConditionCode] = Field(default_factory=list)
    until: date | None = None
    decided_at: UtcDatetime


@register
class ChargingRequested(IntakeEvent):
    """Emitted when police send the case file to the CPS for a charging decision (MG3).

    Self-contained so the CPS can open the file without calling back. Consumers: charging
    (opens the file), support, insights (referrals to the CPS).
    """

    ce_type: ClassVar[str] = "wja.intake.charging.requested.v1"

    force_code: ForceCode
    suspect: Suspect
    offence_codes: list[OffenceCode] = Field(min_length=1)
    evidence: list[EvidenceCode] = Field(default_factory=list)
    requested_test: ChargingTest
    anticipated_plea: AnticipatedPlea = "unknown"
    risk_level: RiskLevel
    remanded: bool = False
    victim_support: SupportStatus = "unknown"
    requested_at: UtcDatetime


@register
class FurtherMaterialSubmitted(IntakeEvent):
    """Emitted when police answer a CPS action plan with further material (evidence codes only).

    Consumers: charging (file back to awaiting decision), support, insights.
    """

    ce_type: ClassVar[str] = "wja.intake.further_material.submitted.v1"

    evidence: list[EvidenceCode] = Field(default_factory=list)
    submitted_at: UtcDatetime


@register
class VictimReferred(IntakeEvent):
    """Emitted when the victim is referred to the IDVA service (consent, MARAC or safeguarding basis).

    The contact details are never on the bus: support fetches them from intake's claim check.
    Consumers: support (assigns an IDVA), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.victim.referred.v1"

    victim_ref: VictimRef
    force_code: ForceCode
    referral_basis: Literal["consent", "marac", "safeguarding"]
    risk_level: RiskLevel
    referred_at: UtcDatetime


@register
class VictimSupportChanged(IntakeEvent):
    """Emitted when the victim's support for a prosecution changes. Consumers: charging, support, insights."""

    ce_type: ClassVar[str] = "wja.intake.victim_support.changed.v1"

    status: SupportStatus
    changed_at: UtcDatetime


@register
class ConsentWithdrawn(IntakeEvent):
    """Emitted when the victim withdraws consent to the referral: support purges its copy of the contact details.

    Consumers: support, insights.
    """

    ce_type: ClassVar[str] = "wja.intake.consent.withdrawn.v1"

    victim_ref: VictimRef
    withdrawn_at: UtcDatetime


@register
class CaseClosed(IntakeEvent):
    """Emitted when police close the crime with a Home Office outcome code (e.g. 1, 15, 16, 17, 21).

    Consumers: support (stage closed), insights (closures by outcome code).
    """

    ce_type: ClassVar[str] = "wja.intake.case.closed.v1"

    outcome_code: str = Field(pattern=r"^([1-9]|1[0-9]|2[0-2]|1A)$")
    reason_code: Code | None = None
    closed_at: UtcDatetime
