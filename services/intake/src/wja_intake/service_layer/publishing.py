"""Domain facts → intake's contract events (the mapping of a case to wja_schemas events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wja_schemas import intake as ev

from wja_intake.domain.model import Case
from wja_intake.service_layer.commands import ChargingRequest

SUSPECT_FIELDS = ("name", "date_of_birth", "pnc_id")
"""What the events say of the suspect (the relationship travels on its own)."""


def _suspect(case: Case) -> dict[str, Any]:
    return {k: case.suspect.get(k) for k in SUSPECT_FIELDS}


def crime_reported(case: Case) -> ev.CrimeReported:
    return ev.CrimeReported(
        urn=case.urn,
        force_code=case.force_code,
        unit=case.unit,
        victim_ref=case.victim_ref,
        reported_at=case.reported_at,
        offence_codes=[o["code"] for o in case.offences],
        offences_occurred_at=[o["occurred_at"] for o in case.offences],
        risk_level=case.risk["level"],
        suspect=_suspect(case),
        relationship=case.suspect.get("relationship"),
        referral_basis=case.referral_basis,
    )


def risk_assessed(case: Case) -> ev.RiskAssessed:
    risk = case.risk
    return ev.RiskAssessed(
        urn=case.urn,
        tool=risk["tool"],
        tool_version=risk.get("version"),
        score=risk.get("score"),
        risk_level=risk["level"],
        marac_referral=risk["marac"],
        assessed_at=case.reported_at,
    )


def victim_referred(case: Case) -> ev.VictimReferred:
    return ev.VictimReferred(
        urn=case.urn,
        victim_ref=case.victim_ref,
        force_code=case.force_code,
        referral_basis=case.referral_basis,
        risk_level=case.risk["level"],
        referred_at=case.reported_at,
    )


def charging_requested(case: Case, request: ChargingRequest, at: datetime) -> ev.ChargingRequested:
    return ev.ChargingRequested(
        urn=case.urn,
        force_code=case.force_code,
        suspect=_suspect(case),
        offence_codes=[o["code"] for o in case.offences],
        evidence=request.evidence,
        requested_test=request.requested_test,
        anticipated_plea=request.anticipated_plea,
        risk_level=case.risk["level"],
        remanded=(case.bail or {}).get("kind") == "remanded",
        victim_support=case.victim_support,
        requested_at=at,
        offences_occurred_at=[o["occurred_at"] for o in case.offences],
        first_statement_at=case.first_statement_at,
    )
