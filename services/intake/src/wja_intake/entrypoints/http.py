"""Intake's HTTP API (police; the claim check for IDVAs): request bodies parsed into the service layer's
commands, the use cases in :mod:`wja_intake.service_layer.handlers`, reads from :mod:`wja_intake.views`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from wja_platform import api, auth, telemetry
from wja_platform.api import Body, CaseUrn, IsoDate, IsoDatetime, Purpose, StrictBool, StrictInt, app_deps
from wja_platform.auth import Principal
from wja_platform.uow import read
from wja_schemas.types import BailKind, ConditionCode, EvidenceCode, OffenceCode

from wja_intake import views
from wja_intake.service_layer import commands, handlers

READ = "intake.read"
"""The span of a read view: one for the whole read, not one per statement."""

Police = Annotated[Principal, Depends(auth.require("police"))]
Supervisor = Annotated[Principal, Depends(auth.require("police:supervisor"))]
Idva = Annotated[Principal, Depends(auth.require("idva"))]


class Offence(Body):
    code: OffenceCode
    occurred_at: IsoDatetime


class Victim(Body):
    name: str = Field(min_length=1, max_length=200)
    date_of_birth: IsoDate
    phone: str = Field(default="", max_length=40, pattern=r"^[0-9 +()\-]*$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str = Field(default="", max_length=400)
    safe_contact: str = Field(default="", max_length=400)
    language: str = Field(default="en", max_length=40)
    needs: list[Annotated[str, Field(max_length=80)]] = Field(default_factory=list, max_length=20)


class Suspect(Body):
    name: str = Field(min_length=1, max_length=200)
    date_of_birth: IsoDate | None = None
    relationship: str = Field(default="partner", pattern=r"^[a-z_]{1,40}$")
    pnc_id: str | None = Field(default=None, max_length=20)


class Risk(Body):
    tool: Literal["DASH", "DARA"]
    score: StrictInt | None = Field(default=None, ge=0, le=27)
    level: Literal["standard", "medium", "high"] | None = None
    version: str | None = Field(default=None, max_length=20)


class Report(Body):
    force_code: str = Field(pattern=r"^[0-9]{2}$")
    unit: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2}$")
    reported_at: IsoDatetime
    offences: list[Offence] = Field(min_length=1, max_length=20)
    victim: Victim
    suspect: Suspect
    risk: Risk
    referral_basis: Literal["consent", "marac", "safeguarding", "none"]
    evidence: list[EvidenceCode] = Field(
        default_factory=list,
        description="Evidence taken with the report; `victim_statement` (a formal witness statement or "
        "video-recorded interview) starts the CJA 1988 s39A time limit for common assault.",
    )


def report_command(body: Report) -> commands.Report:
    return commands.Report(
        force_code=body.force_code,
        unit=body.unit,
        reported_at=body.reported_at,
        offences=[commands.Offence(o.code, o.occurred_at) for o in body.offences],
        victim=commands.Victim(**body.victim.model_dump()),
        suspect=commands.Suspect(**body.suspect.model_dump()),
        risk=commands.Risk(**body.risk.model_dump()),
        referral_basis=body.referral_basis,
        evidence=body.evidence,
    )


class At(Body):
    arrested_at: IsoDatetime


class Interview(Body):
    interviewed_at: IsoDatetime


class Bail(Body):
    kind: BailKind
    conditions: list[ConditionCode] = Field(default_factory=list)
    until: IsoDate | None = None


class Notice(Body):
    kind: Literal["DVPN", "DAPN"]
    conditions: list[ConditionCode] = Field(default_factory=list)
    issued_at: IsoDatetime


class Order(Body):
    kind: Literal["DVPO", "DAPO"]
    granted: StrictBool
    conditions: list[ConditionCode] = Field(default_factory=list)
    until: IsoDate | None = Field(
        default=None,
        description="Last day of the order: for a granted DVPO 14 to 28 days after the day it is made "
        "(CSA 2010 s28(10)); none for a refused order.",
    )
    decided_at: IsoDatetime | None = Field(default=None, description="When the court made it (default: now).")


class ChargingRequest(Body):
    evidence: list[EvidenceCode] = Field(min_length=1)
    requested_test: Literal["full_code", "threshold"]
    anticipated_plea: Literal["guilty", "not_guilty", "unknown"] = "unknown"


class FurtherMaterial(Body):
    evidence: list[EvidenceCode] = Field(min_length=1)
    note: str = Field(default="", max_length=2000)


class Support(Body):
    status: Literal["supports", "withdrawn", "unknown"]


class Closure(Body):
    outcome_code: str = Field(max_length=3)
    reason: str | None = Field(default=None, max_length=2000)


Deps = Annotated[handlers.Deps, Depends(app_deps)]


def build_router() -> APIRouter:
    return api.router("police", _reports_and_cases, _suspect_and_orders, _charging_and_closure, _claim_check)


def _reports_and_cases(router: APIRouter) -> None:
    @router.post("/reports", status_code=201)
    async def report(body: Report, d: Deps, caller: Police) -> dict[str, Any]:
        """Record a domestic abuse crime report; mints the URN."""
        result = await handlers.report(d, caller, report_command(body))
        telemetry.set_case_urn(result["urn"])
        return result

    @router.get("/cases")
    async def list_cases(
        d: Deps, caller: Police, status: str | None = Query(None, max_length=40)
    ) -> list[dict[str, Any]]:
        """The force's cases (newest first)."""
        async with read(d.pool, READ) as conn:
            return await views.case_list(conn, caller.force, status)

    @router.get("/cases/{urn}")
    async def get_case(urn: CaseUrn, d: Deps, caller: Police) -> dict[str, Any]:
        """Status, risk, clocks and what the CPS decided."""
        async with read(d.pool, READ) as conn:
            view = await views.case_view(conn, urn)
        handlers.check_force(caller, view["force_code"])
        return view


def _suspect_and_orders(router: APIRouter) -> None:
    @router.post("/cases/{urn}/arrests")
    async def arrest(urn: CaseUrn, body: At, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.arrest(d, caller, urn, body.arrested_at)

    @router.post("/cases/{urn}/interviews")
    async def interview(urn: CaseUrn, body: Interview, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.interview(d, caller, urn, body.interviewed_at)

    @router.post("/cases/{urn}/bail")
    async def bail(urn: CaseUrn, body: Bail, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.bail(d, caller, urn, commands.Bail(**body.model_dump()))

    @router.post("/cases/{urn}/protective-notices")
    async def notice(urn: CaseUrn, body: Notice, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.protective_notice(d, caller, urn, commands.Notice(**body.model_dump()))

    @router.post("/cases/{urn}/protective-orders")
    async def order(urn: CaseUrn, body: Order, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.protective_order(d, caller, urn, commands.Order(**body.model_dump()))


def _charging_and_closure(router: APIRouter) -> None:
    @router.post("/cases/{urn}/charging-requests")
    async def charging_request(urn: CaseUrn, body: ChargingRequest, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.charging_request(d, caller, urn, commands.ChargingRequest(**body.model_dump()))

    @router.post("/cases/{urn}/further-material")
    async def further_material(urn: CaseUrn, body: FurtherMaterial, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.further_material(d, caller, urn, commands.FurtherMaterial(**body.model_dump()))

    @router.post("/cases/{urn}/victim-support")
    async def victim_support(urn: CaseUrn, body: Support, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.victim_support(d, caller, urn, body.status)

    @router.post("/cases/{urn}/consent-withdrawal")
    async def consent_withdrawal(urn: CaseUrn, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.withdraw_consent(d, caller, urn)

    @router.post("/cases/{urn}/closure")
    async def closure(urn: CaseUrn, body: Closure, d: Deps, caller: Police) -> dict[str, Any]:
        return await handlers.close(d, caller, urn, body.outcome_code, body.reason)


def _claim_check(router: APIRouter) -> None:
    @router.get("/cases/{urn}/referral-audit")
    async def audit(urn: CaseUrn, d: Deps, caller: Supervisor) -> list[dict[str, Any]]:
        """Every read of the victim's contact details (supervisors only)."""
        async with read(d.pool, READ) as conn:
            case = await views.case_view(conn, urn)
            handlers.check_force(caller, case["force_code"])
            return await views.audit_trail(conn, urn)

    @router.get("/referrals/{urn}", tags=["idva"])
    async def referral(
        urn: CaseUrn,
        d: Deps,
        caller: Idva,
        purpose: Purpose,
    ) -> dict[str, Any]:
        """Claim check: the victim's contact details for the assigned IDVA, a manager or the support service."""
        return await handlers.read_referral(d, caller, urn, purpose)
