"""Domain facts → intake's contract events (the only place that maps to wja_schemas)."""

from __future__ import annotations

from typing import Any

from wja_schemas import intake as ev


def crime_reported(case: dict[str, Any]) -> ev.CrimeReported:
    return ev.CrimeReported(
        urn=case["urn"],
        force_code=case["force_code"],
        unit=case["unit"],
        victim_ref=case["victim_ref"],
        reported_at=case["reported_at"],
        offence_codes=[o["code"] for o in case["offences"]],
        offences_occurred_at=[o["occurred_at"] for o in case["offences"]],
        risk_level=case["risk"]["level"],
        suspect={k: case["suspect"].get(k) for k in ("name", "date_of_birth", "pnc_id")},
        relationship=case["suspect"].get("relationship"),
        referral_basis=case["referral_basis"],
    )


def risk_assessed(case: dict[str, Any]) -> ev.RiskAssessed:
    risk = case["risk"]
    return ev.RiskAssessed(
        urn=case["urn"],
        tool=risk["tool"],
        tool_version=risk.get("version"),
        score=risk.get("score"),
        risk_level=risk["level"],
        marac_referral=risk["marac"],
        assessed_at=case["reported_at"],
    )


def victim_referred(case: dict[str, Any]) -> ev.VictimReferred:
    return ev.VictimReferred(
        urn=case["urn"],
        victim_ref=case["victim_ref"],
        force_code=case["force_code"],
        referral_basis=case["referral_basis"],
        risk_level=case["risk"]["level"],
        referred_at=case["reported_at"],
    )


def charging_requested(case: dict[str, Any], body: dict[str, Any], at: Any) -> ev.ChargingRequested:
    return ev.ChargingRequested(
        urn=case["urn"],
        force_code=case["force_code"],
        suspect={k: case["suspect"].get(k) for k in ("name", "date_of_birth", "pnc_id")},
        offence_codes=[o["code"] for o in case["offences"]],
        evidence=body["evidence"],
        requested_test=body["requested_test"],
        anticipated_plea=body["anticipated_plea"],
        risk_level=case["risk"]["level"],
        remanded=(case.get("bail") or {}).get("kind") == "remanded",
        victim_support=case["victim_support"],
        requested_at=at,
        offences_occurred_at=[o["occurred_at"] for o in case["offences"]],
        first_statement_at=case.get("first_statement_at"),
    )
