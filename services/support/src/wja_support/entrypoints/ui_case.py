"""The case page of the IDVA workspace and its actions, each through the service layer with the API's rules.

A form is checked with the API's own request model (``commands``), then handed to ``handlers``; a 409 or 422
comes back as the case page with the message, a 403 or 404 as its own page (``ui.PageRoute``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from wja_platform.auth import Principal
from wja_platform.problems import Conflict, Invalid
from wja_schemas.types import Channel, ConditionCode, SpecialMeasure, Teller

from wja_support import views
from wja_support.entrypoints import ui_model as vm
from wja_support.entrypoints.ui import PageDeps, PageUrn, Who, render
from wja_support.service_layer import commands, handlers

Form = dict[str, list[str]]
Action = Callable[[handlers.Deps, Principal, str, Form], Awaitable[Any]]
DONE = {
    "contact": "The contact was recorded.",
    "measures": "Special measures were requested from the court.",
    "visit": "A pre-trial familiarisation visit was requested.",
    "wishes": "The victim's wishes were recorded.",
    "statement": "The victim personal statement was recorded.",
    "closed": "Support was closed.",
}
OPTIONS: dict[str, Any] = {
    "channels": get_args(Channel),
    "tellers": ("idva", *(t for t in get_args(Teller) if t != "idva")),  # the IDVA first: the form's default
    "measures": get_args(SpecialMeasure),
    "conditions": get_args(ConditionCode),
    "reasons": get_args(commands.CloseReason),
    "purposes": vm.PURPOSES,
}


async def case_page(
    request: Request,
    d: handlers.Deps,
    who: Principal,
    urn: str,
    *,
    status_code: int = 200,
    done: str = "",
    error: str = "",
    errors: list[dict[str, str]] | None = None,
) -> Response:
    now = d.clock.now()
    async with d.pool.acquire() as conn:
        case = await views.case_view(conn, who, urn)
        tl = await views.timeline(conn, who, urn, now)
    obligations = vm.obligations(tl["entries"])
    return render(
        request,
        "case.html",
        status_code=status_code,
        who=who,
        case=case,
        entries=tl["entries"],
        obligations=obligations,
        untold=[o for o in obligations if not o.get("told_at")],
        assigned=who.role == "idva" and case["idva"] == who.sub,
        now_local=now.astimezone(vm.LONDON).strftime("%Y-%m-%dT%H:%M"),
        done=done,
        error=error,
        errors=errors or [],
        **OPTIONS,
    )


async def _contact(d: handlers.Deps, who: Principal, urn: str, form: Form) -> Any:
    body = vm.checked(
        commands.Contact,
        {
            "about": form.get("about", []),
            "channel": vm.one(form, "channel"),
            "at": vm.local_time(vm.one(form, "at")),
            "told_by": vm.one(form, "told_by"),
        },
    )
    return await handlers.record_contact(d.uow(), who, urn, body)


async def _measures(d: handlers.Deps, who: Principal, urn: str, form: Form) -> Any:
    body = vm.checked(commands.Measures, {"measures": form.get("measures", [])})
    return await handlers.request_measures(d.uow(), who, urn, body, d.clock.now())


async def _visit(d: handlers.Deps, who: Principal, urn: str, form: Form) -> Any:
    return await handlers.request_visit(d.uow(), who, urn, d.clock.now())


async def _wishes(d: handlers.Deps, who: Principal, urn: str, form: Form) -> Any:
    body = vm.checked(
        commands.Wishes,
        {
            "restraining_order_sought": vm.yes_no(vm.one(form, "restraining_order_sought")),
            "conditions_sought": form.get("conditions_sought", []),
            "wishes_to_pursue": vm.yes_no(vm.one(form, "wishes_to_pursue")),
        },
    )
    return await handlers.record_wishes(d.uow(), who, urn, body, d.clock.now())


async def _statement(d: handlers.Deps, who: Principal, urn: str, form: Form) -> Any:
    body = vm.checked(commands.Statement, {"will_read_in_court": vm.yes_no(vm.one(form, "will_read_in_court"))})
    return await handlers.record_statement(d.uow(), who, urn, body, d.clock.now())


async def _closure(d: handlers.Deps, who: Principal, urn: str, form: Form) -> Any:
    body = vm.checked(
        commands.Closure, {"reason": vm.one(form, "reason"), "vcs_opt_in": vm.one(form, "vcs_opt_in") == "yes"}
    )
    return await handlers.close_support(d.uow(), who, urn, body, d.clock.now())


ACTIONS: dict[str, tuple[Action, str]] = {
    "contacts": (_contact, "contact"),
    "special-measures": (_measures, "measures"),
    "familiarisation": (_visit, "visit"),
    "wishes": (_wishes, "wishes"),
    "personal-statement": (_statement, "statement"),
    "closure": (_closure, "closed"),
}


async def read_contact_details(d: handlers.Deps, who: Principal, urn: str, purpose: str) -> dict[str, Any]:
    """The one place the page reads a victim's contact details (the purpose is checked against ``vm.PURPOSES``):
    ``handlers.contact_details`` audits the read with its purpose, as the API does."""
    return await handlers.contact_details(d.uow(), d.keyring, who, urn, purpose, d.clock.now())


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}
NO_PURPOSE = [{"field": "purpose", "message": "choose why you need the contact details"}]


def add_routes(router: APIRouter) -> None:
    @router.get("/cases/{urn}")
    async def case(request: Request, who: Who, urn: PageUrn, d: PageDeps) -> Response:
        return await case_page(request, d, who, urn, done=DONE.get(request.query_params.get("done", ""), ""))

    @router.post("/cases/{urn}/contact-details")
    async def contact_details(request: Request, who: Who, urn: PageUrn, d: PageDeps) -> Response:
        purpose = vm.one(vm.form_data(await request.body()), "purpose")
        if purpose not in vm.PURPOSES:
            return await case_page(
                request, d, who, urn, status_code=422, error="Please check the form", errors=NO_PURPOSE
            )
        details = await read_contact_details(d, who, urn, purpose)
        return render(
            request,
            "contact.html",
            headers=NO_STORE,
            who=who,
            urn=urn,
            purpose=vm.PURPOSES[purpose],
            details=[(vm.words(k), ", ".join(v) if isinstance(v, list) else v) for k, v in details.items() if v],
        )

    for path, (work, done) in ACTIONS.items():
        router.add_api_route(f"/cases/{{urn}}/{path}", _action(work, done), methods=["POST"], name=f"ui_{done}")


def _action(work: Action, done: str) -> Callable[..., Awaitable[Response]]:
    """A case action's route: the form to the service layer, then back to the case page (a 409 or 422
    re-shows it with the message; 403 and 404 are pages of their own, ``ui.PageRoute``)."""

    async def act(request: Request, who: Who, urn: PageUrn, d: PageDeps) -> Response:
        try:
            await work(d, who, urn, vm.form_data(await request.body()))
        except ValidationError as exc:
            problems = vm.problems(exc)
            return await case_page(
                request, d, who, urn, status_code=422, error="Please check the form", errors=problems
            )
        except (Conflict, Invalid) as exc:
            problems = [{"field": exc.field, "message": exc.message}] if exc.field else []
            return await case_page(
                request, d, who, urn, status_code=exc.http_status, error=exc.message, errors=problems
            )
        return RedirectResponse(f"/ui/cases/{urn}?done={done}", status_code=303)

    return act
