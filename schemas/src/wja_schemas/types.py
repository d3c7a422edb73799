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
    PlainSerializer(
        lambda v: v.astimezone(UTC).isoformat().replace("+00:00", "Z"), return_type=str
    ),
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
