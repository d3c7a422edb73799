"""What the court's users ask of it, typed: the service layer's input from the HTTP API.

The vocabularies are the contract's (``wja_schemas.types``); the HTTP layer has already refused
anything outside them (422).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from wja_schemas.types import ConditionCode, CourtBailKind, Disposal, HearingResult, SpecialMeasure, Verdict

OrderBasis = Literal["conviction", "acquittal"]
"""A restraining order on conviction (SA 2020 s360) or on acquittal (PHA 1997 s5A)."""


@dataclass(frozen=True)
class CreateSession:
    court_code: str
    starts_at: datetime
    capacity: int


@dataclass(frozen=True)
class ChangeSession:
    session_id: str
    capacity: int | None = None
    close: bool = False


@dataclass(frozen=True)
class BailDecision:
    kind: CourtBailKind
    conditions: list[ConditionCode] = field(default_factory=list)


@dataclass(frozen=True)
class RecordResult:
    hearing_id: str
    result: HearingResult
    reason_code: str | None = None
    bail: BailDecision | None = None


@dataclass(frozen=True)
class RecordVerdict:
    urn: str
    verdict: Verdict


@dataclass(frozen=True)
class ImposeSentence:
    urn: str
    disposal: Disposal
    custody_months: int | None = None
    custody_days: int | None = None


@dataclass(frozen=True)
class MakeOrder:
    urn: str
    basis: OrderBasis
    until: date | None
    conditions: list[ConditionCode]


@dataclass(frozen=True)
class DecideMeasures:
    urn: str
    request_id: str
    granted: bool
    measures: list[SpecialMeasure] = field(default_factory=list)
    refusal_reason: str | None = None
