"""The IDVA HTTP API: caseload, timeline, obligations, contacts, requests, roster."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from wja_platform import auth, db
from wja_platform.api import Body, CaseUrn, IsoDatetime, StrictBool, app_deps
from wja_platform.auth import Principal
from wja_schemas.types import Channel, ConditionCode, SpecialMeasure

from wja_support import views
from wja_support.adapters import repository as repo
from wja_support.service_layer import handlers

Idva = Annotated[Principal, Depends(auth.require("idva"))]
Manager = Annotated[Principal, Depends(auth.require("idva:manager"))]


class Contact(Body):
    about: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=1, max_length=100, description="The ids of the timeline entries the victim was told about."
    )
    channel: Channel
    at: IsoDatetime
    told_by: Literal["idva", "police", "cps", "wcu", "court"] | None = Field(
        default=None, description="Who told the victim (default: your agency). An entry is recorded as told once."
    )


class Measures(Body):
    measures: list[SpecialMeasure] = Field(min_length=1)


class Wishes(Body):
    restraining_order_sought: StrictBool
    conditions_sought: list[ConditionCode] = Field(default_factory=list)
    wishes_to_pursue: StrictBool | None = None


class Statement(Body):
    will_read_in_court: StrictBool | None = None


class Closure(Body):
    reason: Literal["post_trial", "victim_choice", "no_contact", "moved_area", "other"]
    vcs_opt_in: StrictBool = False


class IdvaIn(Body):
    sub: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    team: str = Field(default="default", pattern=r"^[A-Za-z0-9_\-]{1,40}$")
    forces: list[Annotated[str, Field(pattern=r"^[0-9]{2}$")]] = Field(min_length=1)


class Assignment(Body):
    idva: str = Field(max_length=64)


Deps = Annotated[handlers.Deps, Depends(app_deps)]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["idva"])

    @router.get("/caseload")
    async def caseload(d: Deps, caller: Idva) -> list[dict[str, Any]]:
        """The caller's cases (a manager: the team's), with stage and next deadline."""
        async with d.pool.acquire() as conn:
            return await views.caseload(conn, caller, d.clock.now())

    @router.get("/obligations")
    async def obligations(d: Deps, caller: Idva, overdue: bool = Query(False)) -> list[dict[str, Any]]:
        """What the victims of the caller's cases must still be told (only late ones with overdue=true)."""
        async with d.pool.acquire() as conn:
            return await views.obligations(conn, caller, d.clock.now(), overdue)

    @router.get("/cases/{urn}")
    async def case(urn: CaseUrn, d: Deps, caller: Idva) -> dict[str, Any]:
        async with d.pool.acquire() as conn:
            return await views.case_view(conn, caller, urn)

    @router.get("/cases/{urn}/timeline")
    async def timeline(urn: CaseUrn, d: Deps, caller: Idva) -> dict[str, Any]:
        """Everything that happened, from report to post-trial, with what the victim must be told by when."""
        async with d.pool.acquire() as conn:
            return await views.timeline(conn, caller, urn, d.clock.now())

    @router.get("/cases/{urn}/contact")
    async def contact(
        urn: CaseUrn,
        d: Deps,
        caller: Idva,
        purpose: str = Query(min_length=3, max_length=80, pattern=r"^[a-z_ ]+$"),
    ) -> dict[str, Any]:
        """The victim's contact details (assigned IDVA only); every read is audited with its purpose."""
        return await handlers.contact_details(d, caller, urn, purpose)

    @router.get("/audit/contact-reads")
    async def contact_reads(
        d: Deps, caller: Manager, urn: str | None = Query(None, pattern=r"^[0-9]{2}[A-Z0-9]{2}[0-9]{7}$")
    ) -> list[dict[str, Any]]:
        """Every read of the contact details of the manager's team's cases (append-only audit trail)."""
        async with d.pool.acquire() as conn:
            return await views.contact_reads(conn, caller, urn)

    @router.post("/cases/{urn}/contacts")
    async def contacts(urn: CaseUrn, body: Contact, d: Deps, caller: Idva) -> dict[str, Any]:
        """Record that the victim was told about timeline entries."""
        return await handlers.record_contact(d, caller, urn, body.about, body.channel, body.at, body.told_by)

    @router.post("/cases/{urn}/special-measures", status_code=201)
    async def measures(urn: CaseUrn, body: Measures, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.request_measures(d, caller, urn, body.measures)

    @router.post("/cases/{urn}/familiarisation", status_code=201)
    async def visit(urn: CaseUrn, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.request_visit(d, caller, urn)

    @router.post("/cases/{urn}/wishes")
    async def wishes(urn: CaseUrn, body: Wishes, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.record_wishes(d, caller, urn, body.model_dump())

    @router.post("/cases/{urn}/personal-statement")
    async def statement(urn: CaseUrn, body: Statement, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.record_statement(d, caller, urn, body.will_read_in_court)

    @router.post("/cases/{urn}/closure")
    async def closure(urn: CaseUrn, body: Closure, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.close_support(d, caller, urn, body.reason, body.vcs_opt_in)

    @router.post("/cases/{urn}/assignment")
    async def assignment(urn: CaseUrn, body: Assignment, d: Deps, caller: Manager) -> dict[str, Any]:
        return await handlers.reassign(d, caller, urn, body.idva)

    @router.get("/idvas")
    async def idvas(d: Deps, _: Manager) -> list[dict[str, Any]]:
        async with d.pool.acquire() as conn:
            return await repo.roster(conn)

    @router.post("/idvas", status_code=201)
    async def add_idva(body: IdvaIn, d: Deps, _: Manager) -> dict[str, Any]:
        """Add an IDVA to the roster (or change their team and forces)."""
        async with db.connection(d.pool) as conn:
            await repo.upsert_idva(conn, body.sub, body.team, body.forces)
        return body.model_dump()

    return router
