"""The IDVA's workspace at ``/ui/``: sign in, caseload (most urgent first), a case and its actions.

Server-rendered Jinja2 templates (autoescaped) and one plain CSS file; no scripts. Sign-in (a POST
form), the session cookie and the CSRF token every form carries are the platform's
(:mod:`wja_platform.web`): every POST of these pages is refused (403) without the session's token.
The session's token is checked with the same rules as the API; every action goes through the service
layer (``handlers``) and every read through ``views``. Domain errors and an unavailable database are
pages that say what happened and offer a way back, never a bare status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from wja_platform import db, web
from wja_platform.api import app_deps
from wja_platform.auth import Principal
from wja_platform.problems import Conflict, Invalid, NotFound, ServiceError
from wja_schemas.types import URN_PATTERN

from wja_support import views
from wja_support.entrypoints import ui_model as vm
from wja_support.service_layer import handlers
from wja_support.service_layer.commands import Assignment

HERE = Path(__file__).parent
CSS = HERE / "static" / "workspace.css"
RETRY_AFTER_SECONDS = 30
TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
)
TEMPLATES.env.filters.update(when=vm.when, words=vm.words)
DONE = {
    "assigned": "The case was assigned.",
}
PROBLEMS = {
    403: (
        "You are not assigned to this case",
        "Only the IDVA assigned to a case, or their team's manager, may see it or act on it.",
    ),
    404: ("Not found", "There is no such case, or nothing of it is held here."),
    409: ("Not done", "This cannot be done in the case's current state."),
    422: ("Please check the form", "Some of what was entered is not valid."),
    503: ("The service is unavailable", "The case store is not answering. Nothing was changed: try again shortly."),
}


def template_context(request: Request) -> dict[str, Any]:
    """What every template receives: the session's CSRF token, which every POST form carries."""
    return {"csrf_token": web.csrf_token(request)}


def caller(request: Request) -> Principal | None:
    """The signed-in IDVA (the session cookie's token, verified by the platform), or None."""
    return web.session_principal(request)


class SignInNeeded(Exception):
    """No valid session cookie: the page sends the browser to the sign-in form (``PageRoute``)."""


async def signed_in(request: Request) -> Principal:
    """Every page's first check: the platform's session, else off to sign in."""
    who = caller(request)
    if who is None:
        raise SignInNeeded
    return who


async def page_urn(urn: str) -> str:
    """A case page's URN: one that is not a URN is a case that does not exist (404 page)."""
    if re.fullmatch(URN_PATTERN, urn) is None:
        raise NotFound("no such case")
    return urn


Who = Annotated[Principal, Depends(signed_in)]
PageUrn = Annotated[str, Depends(page_urn)]
PageDeps = Annotated[handlers.Deps, Depends(app_deps)]


def signin_page(csrf: str, next_page: str, error: str | None) -> str:
    """The sign-in form in the workspace's layout (the platform's sign-in routes render it)."""
    return TEMPLATES.env.get_template("signin.html").render(
        csrf_token=csrf, next=next_page, error=error or "", errors=[], done="", who=None
    )


def render(
    request: Request, name: str, *, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    context.setdefault("who", caller(request))
    for key, empty in (("done", ""), ("error", ""), ("errors", [])):
        context.setdefault(key, empty)
    return TEMPLATES.TemplateResponse(
        request, name, {**template_context(request), **context}, status_code=status_code, headers=headers
    )


def problem_page(
    request: Request, status: int, message: str = "", errors: list[dict[str, str]] | None = None
) -> HTMLResponse:
    title, explanation = PROBLEMS.get(status, ("Not done", "The request could not be carried out."))
    if status == 403 and "/cases/" not in request.url.path:
        title = "Not open to your role"
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    return render(
        request,
        "problem.html",
        status_code=status,
        headers=headers,
        title=title,
        explanation=explanation,
        message=message,
        errors=errors or [],
    )


class PageRoute(APIRoute):
    """A page route: no session is a redirect to sign in, a service error its page (403, 404, 409, 422),
    a database away a 503 page; every POST must carry the session's CSRF token first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                if request.method == "POST":
                    await web.require_csrf(request)  # every form of these pages carries the session's token
                return await handler(request)
            except SignInNeeded:
                return to_signin()
            except web.CsrfError:
                raise  # the platform's "Form refused" page
            except db.UNAVAILABLE:
                return problem_page(request, 503)
            except ServiceError as exc:
                if not 400 <= exc.http_status < 500:
                    raise
                return problem_page(request, exc.http_status, exc.message)

        return run


def to_signin() -> Response:
    """Not signed in: to the platform's sign-in form (``web.signin_router``)."""
    return RedirectResponse("/ui/signin", status_code=303)


def build_router() -> APIRouter:
    from wja_support.entrypoints import ui_case

    router = APIRouter(prefix="/ui", include_in_schema=False, route_class=PageRoute)

    @router.get("/static/workspace.css")
    async def stylesheet() -> Response:
        return FileResponse(CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/")
    async def home(request: Request, who: Who, d: PageDeps) -> Response:
        return await caseload_page(request, d, who, done=DONE.get(request.query_params.get("done", ""), ""))

    @router.post("/cases/{urn}/assignment")
    async def assignment(request: Request, who: Who, urn: PageUrn, d: PageDeps) -> Response:
        # unchecked, as the page always sent it: an unknown IDVA is the handler's 422
        chosen = Assignment.model_construct(idva=vm.one(vm.form_data(await request.body()), "idva"))
        try:
            await handlers.reassign(d.uow(), who, urn, chosen, d.clock.now())
        except (Conflict, Invalid) as exc:
            return await caseload_page(request, d, who, status_code=exc.http_status, error=exc.message, error_urn=urn)
        return RedirectResponse("/ui/?done=assigned", status_code=303)

    ui_case.add_routes(router)
    return router


async def caseload_page(
    request: Request,
    d: handlers.Deps,
    who: Principal,
    *,
    status_code: int = 200,
    done: str = "",
    error: str = "",
    error_urn: str = "",
) -> Response:
    now = d.clock.now()
    filters = vm.Filters.from_query(dict(request.query_params))
    async with d.pool.acquire() as conn:
        rows = await views.caseload(conn, who, now)
        contacted = await views.contacted(conn, [r["urn"] for r in rows])
        roster = await views.team_roster(conn, who)
    shown = [r for r in rows if filters.keep(r)]
    return render(
        request,
        "caseload.html",
        status_code=status_code,
        who=who,
        cases=vm.caseload_rows(shown, now, contacted),
        total=len(rows),
        counts=vm.counts(shown, now, contacted),
        filters=filters,
        stages=vm.STAGES,
        forces=sorted({vm.force_of(r["urn"]) for r in rows}),
        manager=who.role == "manager",
        roster=roster,
        done=done,
        error=error,
        error_urn=error_urn,
    )
