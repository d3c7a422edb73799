"""Events produced by the intake (police) service on topic ``wja.intake.case.v1``.

Key: the case URN. Consumers: charging (charging requests, further material, the victim's
support), support (everything, for the timeline), insights (everything). Rules: add optional
fields; never rename or remove one; a breaking change is a new ``.v2`` type published alongside.
The victim appears only as ``victim_ref``: contact details stay in intake's claim check.
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
    OutcomeCode,
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

    Key: the case URN. Consumers: support (opens the timeline), insights (reports, repeat victims).
    """

    ce_type: ClassVar[str] = "wja.intake.crime.reported.v1"

    force_code: ForceCode
    unit: str = Field(pattern=r"^[A-Z0-9]{2}$", description="The two-character police unit of the URN.")
    victim_ref: VictimRef
    reported_at: UtcDatetime
    offence_codes: list[OffenceCode] = Field(min_length=1, description="The offences reported, as codes.")
    offences_occurred_at: list[UtcDatetime] = Field(
        default_factory=list, description="When each offence occurred, in the order of ``offence_codes``."
    )
    da_flag: bool = Field(default=True, description="Home Office domestic abuse flag.")
    risk_level: RiskLevel
    suspect: Suspect
    relationship: Code | None = Field(
        default=None, description="The suspect's relationship to the victim, as a code (e.g. partner, ex_partner)."
    )
    referral_basis: ReferralBasis = Field(
        description="Basis for referring the victim to the IDVA service (``none``: no referral)."
    )


@register
class RiskAssessed(IntakeEvent):
    """Emitted when a DASH or DARA risk assessment is recorded (at report or on review).

    The answers stay with police: only the instrument, the score and the band travel.

    Key: the case URN. Consumers: support (risk on the timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.risk.assessed.v1"

    tool: RiskTool
    tool_version: Code | None = Field(default=None, description="Version of the instrument, e.g. 2009.")
    score: int | None = Field(default=None, ge=0, le=30, description="Count of yes answers, when the tool has one.")
    risk_level: RiskLevel
    marac_referral: bool = Field(default=False, description="Whether the case is referred to a MARAC.")
    assessed_at: UtcDatetime


@register
class SuspectArrested(IntakeEvent):
    """Emitted when the suspect is arrested.

    Key: the case URN. Consumers: support (victim told within 1 working day), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.suspect.arrested.v1"

    arrested_at: UtcDatetime


@register
class SuspectInterviewed(IntakeEvent):
    """Emitted when the suspect is interviewed under caution.

    Key: the case URN. Consumers: support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.suspect.interviewed.v1"

    interviewed_at: UtcDatetime


@register
class BailDecided(IntakeEvent):
    """Emitted when police bail, release under investigation or remand the suspect before charge.

    Conditions are codes (an exclusion zone is a code, never a street). ``authorised_period_exceeded``
    flags an ``until`` beyond the period the rank may authorise (3, 6, 9 months): accepted, not refused.

    Key: the case URN. Consumers: support (victim told within 1 working day), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.bail.decided.v1"

    kind: BailKind
    conditions: list[ConditionCode] = Field(default_factory=list, description="Bail conditions, as codes.")
    until: date | None = Field(default=None, description="Last day of bail (none for RUI or remand).")
    authorised_period_exceeded: bool = Field(
        default=False, description="True when ``until`` is past the authorised bail period."
    )
    decided_at: UtcDatetime


@register
class ProtectiveNoticeIssued(IntakeEvent):
    """Emitted when police issue a DVPN (or DAPN in pilot areas); the order hearing is due within 48 hours.

    Key: the case URN. Consumers: support (victim told), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.protective_notice.issued.v1"

    kind: Literal["DVPN", "DAPN"]
    conditions: list[ConditionCode] = Field(default_factory=list, description="Prohibitions, as codes.")
    issued_at: UtcDatetime
    order_hearing_by: UtcDatetime | None = Field(
        default=None, description="Latest time for the magistrates' order hearing (48 hours after service)."
    )


@register
class ProtectiveOrderDecided(IntakeEvent):
    """Emitted when magistrates decide a DVPO (or DAPO) applied for by police.

    Key: the case URN. Consumers: support (victim told), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.protective_order.decided.v1"

    kind: Literal["DVPO", "DAPO"]
    granted: bool
    conditions: list[ConditionCode] = Field(default_factory=list, description="Prohibitions, as codes.")
    until: date | None = Field(default=None, description="Last day of the order (a DVPO lasts 14-28 days).")
    decided_at: UtcDatetime


@register
class ChargingRequested(IntakeEvent):
    """Emitted when police send the case file to the CPS for a charging decision (MG3).

    Self-contained so the CPS opens the file without calling back: suspect, offences, evidence
    codes, risk, remand and the anticipated plea (which sets the first hearing's target date).

    Key: the case URN. Consumers: charging (opens the file), support (timeline), insights (referrals to the CPS).
    """

    ce_type: ClassVar[str] = "wja.intake.charging.requested.v1"

    force_code: ForceCode
    suspect: Suspect
    offence_codes: list[OffenceCode] = Field(min_length=1, description="The offences the file concerns.")
    evidence: list[EvidenceCode] = Field(default_factory=list, description="Kinds of evidence in the file.")
    requested_test: ChargingTest
    anticipated_plea: AnticipatedPlea = "unknown"
    risk_level: RiskLevel
    remanded: bool = Field(default=False, description="Whether the suspect is in police custody (remanded).")
    victim_support: SupportStatus = Field(default="unknown", description="Whether the victim supports a prosecution.")
    requested_at: UtcDatetime
    offences_occurred_at: list[UtcDatetime] = Field(
        default_factory=list,
        description="When each offence of `offence_codes` occurred (same order): the CPS checks time limits "
        "(MCA 1980 s127, CJA 1988 s39A) and commencement dates with it. Empty from producers before it was added.",
    )
    first_statement_at: UtcDatetime | None = Field(
        default=None,
        description="When the victim first gave a formal witness statement or video-recorded interview "
        "(starts the CJA 1988 s39A time limit for common assault); absent when none was given.",
    )


@register
class FurtherMaterialSubmitted(IntakeEvent):
    """Emitted when police answer a CPS action plan with further material.

    Evidence codes only: the officer's covering note stays with police (it could hold victim data).

    Key: the case URN. Consumers: charging (file back to awaiting decision), support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.further_material.submitted.v1"

    evidence: list[EvidenceCode] = Field(default_factory=list, description="Kinds of evidence submitted.")
    submitted_at: UtcDatetime
    first_statement_at: UtcDatetime | None = Field(
        default=None,
        description="When the victim first gave a formal witness statement or video-recorded interview "
        "(CJA 1988 s39A), if by now they have.",
    )


@register
class VictimReferred(IntakeEvent):
    """Emitted when the victim is referred to the IDVA service (consent, MARAC or safeguarding basis).

    The contact details are never on the bus: support fetches them from intake's claim check.

    Key: the case URN. Consumers: support (assigns an IDVA), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.victim.referred.v1"

    victim_ref: VictimRef
    force_code: ForceCode
    referral_basis: Literal["consent", "marac", "safeguarding"]
    risk_level: RiskLevel
    referred_at: UtcDatetime


@register
class VictimSupportChanged(IntakeEvent):
    """Emitted when the victim's support for a prosecution changes.

    Key: the case URN. Consumers: charging (victim-unsupported files), support (timeline), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.victim_support.changed.v1"

    status: SupportStatus
    changed_at: UtcDatetime


@register
class ConsentWithdrawn(IntakeEvent):
    """Emitted when the victim withdraws consent to the referral.

    Support purges its copy of the contact details.

    Key: the case URN. Consumers: support (purge), insights.
    """

    ce_type: ClassVar[str] = "wja.intake.consent.withdrawn.v1"

    victim_ref: VictimRef
    withdrawn_at: UtcDatetime


@register
class CaseClosed(IntakeEvent):
    """Emitted when police close the crime with a Home Office outcome code (e.g. 1, 15, 16, 17, 21).

    Key: the case URN. Consumers: support (stage closed), insights (closures by outcome code).
    """

    ce_type: ClassVar[str] = "wja.intake.case.closed.v1"

    outcome_code: OutcomeCode
    reason_code: Code | None = Field(default=None, description="Why, as a code (the officer's text stays with police).")
    closed_at: UtcDatetime
