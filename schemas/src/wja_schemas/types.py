"""Shared value types of the event contracts.

Every type here is a code or a reference: nothing in the contracts can carry a victim's
personal data (journey.md section 2, "Never on Kafka").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

URN_PATTERN = r"^[0-9]{2}[A-Z0-9]{2}[0-9]{5}[0-9]{2}$"

Urn = Annotated[
    str,
    Field(
        pattern=URN_PATTERN,
        description="Police unique reference number: force (2 digits), unit (2), sequence (5), "
        "year (2), e.g. 01YE0098726.",
        examples=["01YE0098726"],
    ),
]
"""A case's police URN: the Kafka key of every event about the case."""

VictimRef = Annotated[
    str,
    Field(
        pattern=r"^V[0-9]{2}-[0-9a-f]{16}$",
        description="Pseudonymous victim reference, stable across a victim's cases in one force.",
    ),
]

ForceCode = Annotated[str, Field(pattern=r"^[0-9]{2}$", description="Two-digit police force code.")]


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        msg = "a time must carry its UTC offset"
        raise ValueError(msg)
    return value.astimezone(UTC)


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_to_utc),
    # Written by pydantic's own serializer: every value here was validated, so is in UTC, and pydantic writes
    # UTC with a ``Z`` (``2026-12-01T06:00:00Z``, microseconds when there are any), as isoformat would with the
    # offset replaced. A serializer of ours cost a Python call per time field per event written (issue 20).
    # journey.md section 2 promises ``format: date-time`` on every time field of the committed schemas.
    WithJsonSchema(
        {"type": "string", "format": "date-time", "description": "RFC 3339 time in UTC."}, mode="serialization"
    ),
    Field(description="RFC 3339 time in UTC."),
]
"""A timezone-aware instant, normalised to UTC and written with a ``Z`` (``format: date-time``)."""

Day = date

OffenceCode = Literal[
    "common_assault",
    "abh",
    "coercive_control",
    "strangulation",
    "harassment",
    "harassment_fear_of_violence",
    "stalking",
    "stalking_fear_of_violence",
    "breach_restraining_order",
    "breach_non_molestation_order",
    "criminal_damage",
    "threats_to_kill",
]
"""Offence codes of journey.md section 3."""

ConditionCode = Literal[
    "no_contact_victim",
    "no_contact_children",
    "exclusion_zone",
    "residence",
    "curfew",
    "reporting",
    "electronic_monitoring",
]
"""Bail and order conditions: codes only, never an address or a street."""

Disposal = Literal[
    "custody",
    "suspended_sentence",
    "community_order",
    "fine",
    "conditional_discharge",
    "absolute_discharge",
]
"""Sentencing disposals of journey.md section 3."""

RiskLevel = Literal["standard", "medium", "high"]
"""DASH/DARA risk band."""

Agency = Literal["police", "cps", "court", "idva"]
"""The agency of a caller's token, and of a timeline entry."""


class Suspect(BaseModel):
    """The suspect as allowed on the bus: name, date of birth, PNC id; never an address."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(max_length=200, description="The suspect's name (allowed on the bus; the victim's never is).")
    date_of_birth: date | None = Field(default=None, description="The suspect's date of birth.")
    pnc_id: str | None = Field(default=None, max_length=20, description="Police National Computer id, e.g. 26/123456A.")


BailKind = Literal["pre_charge_bail", "released_under_investigation", "remanded"]
"""What police decide after arrest, before charge (RUI carries no conditions)."""
CourtBailKind = Literal["remanded", "conditional_bail", "unconditional_bail"]
"""What a court decides about the defendant at a hearing."""
ReferralBasis = Literal["consent", "marac", "safeguarding", "none"]
"""The lawful basis on which police share the victim's contact details with the IDVA service."""
RiskTool = Literal["DASH", "DARA"]
"""The risk assessment instrument (scores of the two are not comparable)."""
EvidenceCode = Literal[
    "bwv",
    "999_call",
    "photographs",
    "medical",
    "witness_statement",
    "victim_statement",
    "cctv",
    "digital",
    "forensic",
    "other",
]
"""Kinds of evidence in a file (the material itself never travels)."""
ChargingTest = Literal["full_code", "threshold"]
"""Code for Crown Prosecutors test applied to a charging decision."""
AnticipatedPlea = Literal["guilty", "not_guilty", "unknown"]
"""The plea police expect (it sets the first-hearing target date)."""
DecisionKind = Literal["charge", "no_further_action", "out_of_court_disposal", "further_material_required"]
"""A CPS charging decision."""
DecisionBasis = Literal["evidential", "public_interest"]
"""Which stage of the Full Code Test a no-charge decision failed."""
DiscontinuanceReason = Literal[
    "victim_retraction", "victim_non_attendance", "evidence_does_not_support", "other_evidential", "public_interest"
]
"""Reason categories of a discontinuance (POA 1985 s23), as the CPS reports them."""
HearingType = Literal["first_hearing", "trial", "sentencing", "other"]
"""The kind of a court hearing."""
HearingResult = Literal["guilty_plea", "not_guilty_plea", "adjourned", "effective", "cracked", "ineffective"]
"""A hearing's result: a plea, an adjournment, or how effective a listed trial was."""
Verdict = Literal["convicted", "acquitted", "dismissed"]
"""A trial's verdict (``dismissed``: no case to answer or no evidence offered)."""
SpecialMeasure = Literal[
    "screens",
    "live_link",
    "evidence_in_private",
    "removal_of_wigs_gowns",
    "video_recorded_evidence",
    "pre_recorded_cross_examination",
]
"""Special measures (YJCEA 1999 ss23-30) a court may grant a DA complainant."""
DutyHolder = Literal["police", "cps", "wcu", "court"]
"""Who must tell the victim about a decision under the Victims' Code (``wcu``: witness care unit)."""
Teller = Literal["police", "cps", "wcu", "court", "idva"]
"""Who told the victim: a duty holder, or the IDVA."""
Channel = Literal["phone", "email", "in_person", "letter", "text", "video", "other"]
"""How the victim was told (the channel, never the number or address used)."""
SupportStatus = Literal["supports", "withdrawn", "unknown"]
"""Whether the victim supports a prosecution."""
SupportStage = Literal[
    "reported", "investigation", "charging", "pre_trial", "trial", "sentencing", "post_trial", "closed"
]
"""Stage of a case as support shows it (journey.md section 3)."""
CaseStatus = Literal[
    "reported",
    "under_investigation",
    "awaiting_charging_decision",
    "further_material_required",
    "charged",
    "awaiting_closure",
    "closed",
]
"""Police case status of journey.md section 3."""
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,40}$", description="A code (never free text).")]
"""A short machine code; free text about a case stays in the owning service's database."""

OutcomeCode = Annotated[
    str,
    Field(
        pattern=r"^([1-9]|1[0-9]|2[0-2]|1A)$",
        description="Home Office crime outcome type, e.g. 1 (charged), 15, 16 (evidential difficulties), 21.",
    ),
]
"""A Home Office crime outcome type (closure code), as a string: ``1``-``22`` or ``1A``."""

OpaqueId = Annotated[
    str,
    Field(
        max_length=64,
        description="An opaque identifier minted by a service (e.g. a UUID); never a person's name.",
    ),
]
"""A service-minted identifier of a hearing, session, request, review or event."""
