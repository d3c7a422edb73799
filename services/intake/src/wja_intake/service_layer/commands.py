"""What the police ask of intake, typed: the HTTP entry point parses a request body into one of these
and the use case in :mod:`handlers` takes it (no ``dict`` bodies into the service layer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from wja_schemas.types import (
    AnticipatedPlea,
    BailKind,
    ChargingTest,
    ConditionCode,
    EvidenceCode,
    OffenceCode,
    ReferralBasis,
    RiskLevel,
    RiskTool,
)


@dataclass(frozen=True)
class Offence:
    code: OffenceCode
    occurred_at: datetime


@dataclass(frozen=True)
class Victim:
    """The victim's contact details: sealed in intake's database, never on Kafka or in logs."""

    name: str
    date_of_birth: date
    phone: str = ""
    email: str | None = None
    address: str = ""
    safe_contact: str = ""
    language: str = "en"
    needs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Suspect:
    name: str
    date_of_birth: date | None = None
    relationship: str = "partner"
    pnc_id: str | None = None


@dataclass(frozen=True)
class Risk:
    tool: RiskTool
    score: int | None = None
    level: RiskLevel | None = None
    version: str | None = None


@dataclass(frozen=True)
class Report:
    force_code: str
    reported_at: datetime
    offences: list[Offence]
    victim: Victim
    suspect: Suspect
    risk: Risk
    referral_basis: ReferralBasis
    unit: str | None = None
    evidence: list[EvidenceCode] = field(default_factory=list)


@dataclass(frozen=True)
class Bail:
    kind: BailKind
    conditions: list[ConditionCode] = field(default_factory=list)
    until: date | None = None


@dataclass(frozen=True)
class Notice:
    kind: str
    issued_at: datetime
    conditions: list[ConditionCode] = field(default_factory=list)


@dataclass(frozen=True)
class Order:
    kind: str
    granted: bool
    conditions: list[ConditionCode] = field(default_factory=list)
    until: date | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class ChargingRequest:
    evidence: list[EvidenceCode]
    requested_test: ChargingTest
    anticipated_plea: AnticipatedPlea = "unknown"


@dataclass(frozen=True)
class FurtherMaterial:
    evidence: list[EvidenceCode]
    note: str = ""
