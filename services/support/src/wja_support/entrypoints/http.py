"""The IDVA HTTP API: caseload, timeline, obligations, contacts, requests, roster.

Thin: each route parses (the request models are the service layer's commands), calls a use case
(``handlers``) or a read (``views``), and returns its answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from wja_platform import auth
from wja_platform.api import CaseUrn, Purpose, app_deps
from wja_platform.auth import Principal
from wja_platform.uow import read

from wja_support import views
from wja_support.service_layer import handlers
from wja_support.service_layer.commands import Assignment, Closure, Contact, IdvaIn, Measures, Statement, Wishes

READ = "support.read"
"""The span of a read view: one for the whole read, not one per statement."""

__all__ = ["Assignment", "Closure", "Contact", "IdvaIn", "Measures", "Statement", "Wishes", "build_router"]

Idva = Annotated[Principal, Depends(auth.require("idva"))]
Manager = Annotated[Principal, Depends(auth.require("idva:manager"))]
Deps = Annotated[handlers.Deps, Depends(app_deps)]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["idva"])
    _reads(router)
    _actions(router)
    _roster(router)
    return router


def _reads(router: APIRouter) -> None:
    @router.get("/caseload")
    async def caseload(d: Deps, caller: Idva) -> list[dict[str, Any]]:
        """The caller's cases (a manager: the team's), with stage and next deadline."""
        async with read(d.pool, READ) as conn:
            return await views.caseload(conn, caller, d.clock.now())

    @router.get("/obligations")
    async def obligations(d: Deps, caller: Idva, overdue: bool = Query(False)) -> list[dict[str, Any]]:
        """What the victims of the caller's cases must still be told (only late ones with overdue=true)."""
        async with read(d.pool, READ) as conn:
            return await views.obligations(conn, caller, d.clock.now(), overdue)

    @router.get("/cases/{urn}")
    async def case(urn: CaseUrn, d: Deps, caller: Idva) -> dict[str, Any]:
        async with read(d.pool, READ) as conn:
            return await views.case_view(conn, caller, urn)

    @router.get("/cases/{urn}/timeline")
    async def timeline(urn: CaseUrn, d: Deps, caller: Idva) -> dict[str, Any]:
        """Everything that happened, from report to post-trial, with what the victim must be told by when."""
        async with read(d.pool, READ) as conn:
            return await views.timeline(conn, caller, urn, d.clock.now())

    @router.get("/cases/{urn}/contact")
    async def contact(
        urn: CaseUrn,
        d: Deps,
        caller: Idva,
        purpose: Purpose,
    ) -> dict[str, Any]:
        """The victim's contact details (assigned IDVA only); every read is audited with its purpose."""
        return await handlers.contact_details(d.uow(), d.keyring, caller, urn, purpose, d.clock.now())

    @router.get("/audit/contact-reads")
    async def contact_reads(
        d: Deps, caller: Manager, urn: str | None = Query(None, pattern=r"^[0-9]{2}[A-Z0-9]{2}[0-9]{7}$")
    ) -> list[dict[str, Any]]:
        """Every read of the contact details of the manager's team's cases (append-only audit trail)."""
        async with read(d.pool, READ) as conn:
            return await views.contact_reads(conn, caller, urn)


def _actions(router: APIRouter) -> None:
    @router.post("/cases/{urn}/contacts")
    async def contacts(urn: CaseUrn, body: Contact, d: Deps, caller: Idva) -> dict[str, Any]:
        """Record that the victim was told about timeline entries."""
        return await handlers.record_contact(d.uow(), caller, urn, body)

    @router.post("/cases/{urn}/special-measures", status_code=201)
    async def measures(urn: CaseUrn, body: Measures, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.request_measures(d.uow(), caller, urn, body, d.clock.now())

    @router.post("/cases/{urn}/familiarisation", status_code=201)
    async def visit(urn: CaseUrn, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.request_visit(d.uow(), caller, urn, d.clock.now())

    @router.post("/cases/{urn}/wishes")
    async def wishes(urn: CaseUrn, body: Wishes, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.record_wishes(d.uow(), caller, urn, body, d.clock.now())

    @router.post("/cases/{urn}/personal-statement")
    async def statement(urn: CaseUrn, body: Statement, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.record_statement(d.uow(), caller, urn, body, d.clock.now())

    @router.post("/cases/{urn}/closure")
    async def closure(urn: CaseUrn, body: Closure, d: Deps, caller: Idva) -> dict[str, Any]:
        return await handlers.close_support(d.uow(), caller, urn, body, d.clock.now())

    @router.post("/cases/{urn}/assignment")
    async def assignment(urn: CaseUrn, body: Assignment, d: Deps, caller: Manager) -> dict[str, Any]:
        return await handlers.reassign(d.uow(), caller, urn, body, d.clock.now())


def _roster(router: APIRouter) -> None:
    @router.get("/idvas")
    async def idvas(d: Deps, _: Manager) -> list[dict[str, Any]]:
        async with read(d.pool, READ) as conn:
            return await views.roster(conn)

    @router.post("/idvas", status_code=201)
    async def add_idva(body: IdvaIn, d: Deps, _: Manager) -> dict[str, Any]:
        """Add an IDVA to the roster (or change their team and forces)."""
        return await handlers.add_idva(d.uow(), body)
