"""Shared value types of the event contracts.

Every type here is a code or a reference: nothing in the contracts can carry a victim's
personal data (journey.md section 2, "Never on Kafka").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

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
    PlainSerializer(lambda v: v.astimezone(UTC).isoformat().replace("+00:00", "Z"), return_type=str),
    Field(description="RFC 3339 time in UTC."),
]
"""A timezone-aware instant, normalised to UTC and written with a ``Z``."""

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

RiskLevel = Literal["standard", "medium", "high"]

Agency = Literal["police", "cps", "court", "idva"]


class Suspect(BaseModel):
    """The suspect as allowed on the bus: name, date of birth, PNC id; never an address."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(max_length=200)
    date_of_birth: date | None = None
    pnc_id: str | None = Field(default=None, max_length=20)


BailKind = Literal["pre_charge_bail", "released_under_investigation", "remanded"]
CourtBailKind = Literal["remanded", "conditional_bail", "unconditional_bail"]
ReferralBasis = Literal["consent", "marac", "safeguarding", "none"]
RiskTool = Literal["DASH", "DARA"]
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
ChargingTest = Literal["full_code", "threshold"]
AnticipatedPlea = Literal["guilty", "not_guilty", "unknown"]
DecisionKind = Literal["charge", "no_further_action", "out_of_court_disposal", "further_material_required"]
DecisionBasis = Literal["evidential", "public_interest"]
DiscontinuanceReason = Literal[
    "victim_retraction", "victim_non_attendance", "evidence_does_not_support", "other_evidential", "public_interest"
]
HearingType = Literal["first_hearing", "trial", "sentencing", "other"]
HearingResult = Literal["guilty_plea", "not_guilty_plea", "adjourned", "effective", "cracked", "ineffective"]
Verdict = Literal["convicted", "acquitted", "dismissed"]
SpecialMeasure = Literal[
    "screens",
    "live_link",
    "evidence_in_private",
    "removal_of_wigs_gowns",
    "video_recorded_evidence",
    "pre_recorded_cross_examination",
]
DutyHolder = Literal["police", "cps", "wcu", "court"]
Channel = Literal["phone", "email", "in_person", "letter", "text", "video", "other"]
SupportStatus = Literal["supports", "withdrawn", "unknown"]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,40}$", description="A code (never free text).")]
"""A short machine code; free text about a case stays in the owning service's database."""
