"""The IDVA's workspace at ``/ui/``: sign in, caseload (most urgent first), a case and its actions.

Server-rendered Jinja2 templates (autoescaped) and one plain CSS file; no scripts. The token is kept in
an HttpOnly cookie and checked with the same rules as the API; every action goes through the service
layer (``handlers``) and every read through ``views``. Domain errors and an unavailable database are
pages that say what happened and offer a way back, never a bare status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from wja_platform import auth, db
from wja_platform.auth import Principal
from wja_schemas.types import URN_PATTERN

from wja_support import views
from wja_support.entrypoints import ui_model as vm
from wja_support.service_layer import handlers

COOKIE = "wja_token"
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
    """What every template receives: the form token every POST form carries (wired to the platform at merge)."""
    return {"csrf_token": ""}


def caller(request: Request) -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return auth.verify(token, request.app.state.jwt_keys, request.app.state.jwt_algorithm)
    except HTTPException:
        return None


def render(
    request: Request, name: str, *, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    context.setdefault("who", caller(request))
    for key, empty in (("done", ""), ("error", ""), ("errors", [])):
        context.setdefault(key, empty)
    return TEMPLATES.TemplateResponse(
        request, name, {**template_context(request), **context}, status_code=status_code, headers=headers
    )


def problem_page(request: Request, status: int, message: str = "", errors: list[dict[str, str]] | None = None):
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
    """A page route: a domain error becomes its page (403, 404, 409, 422), a database away a 503 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except db.UNAVAILABLE:
                return problem_page(request, 503)
            except Exception as exc:
                status = getattr(exc, "http_status", None)
                if not (isinstance(status, int) and 400 <= status < 500):
                    raise
                return problem_page(request, status, getattr(exc, "message", ""))

        return run


def deps(request: Request) -> handlers.Deps:
    return request.app.state.deps  # type: ignore[no-any-return]


def valid_urn(urn: str) -> bool:
    return re.fullmatch(URN_PATTERN, urn) is not None


def to_signin() -> Response:
    return RedirectResponse("/ui/signin", status_code=303)


def build_router() -> APIRouter:
    from wja_support.entrypoints import ui_case

    router = APIRouter(prefix="/ui", include_in_schema=False, route_class=PageRoute)

    def signed_in(response: Response, token: str) -> Response:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=8 * 3600)
        return response

    @router.get("/static/workspace.css")
    async def stylesheet() -> Response:
        return FileResponse(CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/signin")
    async def signin_get(request: Request, token: str = "", next: str = "/ui/") -> Response:
        if token:
            target = next if next.startswith("/ui/") and "//" not in next else "/ui/"
            return signed_in(RedirectResponse(target, status_code=303), token)
        return render(request, "signin.html", who=None)

    @router.post("/signin")
    async def signin_post(request: Request) -> Response:
        token = parse_qs((await request.body()).decode()).get("token", [""])[0].strip()
        return signed_in(RedirectResponse("/ui/", status_code=303), token)

    @router.post("/signout")
    async def signout() -> Response:
        response = RedirectResponse("/ui/signin", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @router.get("/")
    async def home(request: Request) -> Response:
        who = caller(request)
        if who is None:
            return to_signin()
        return await caseload_page(request, who, done=DONE.get(request.query_params.get("done", ""), ""))

    @router.post("/cases/{urn}/assignment")
    async def assignment(urn: str, request: Request) -> Response:
        who = caller(request)
        if who is None:
            return to_signin()
        if not valid_urn(urn):
            return problem_page(request, 404, "no such case")
        idva = vm.one(vm.form_data(await request.body()), "idva")
        try:
            await handlers.reassign(deps(request), who, urn, idva)
        except Exception as exc:
            status = getattr(exc, "http_status", None)
            if status not in (409, 422):
                raise
            return await caseload_page(request, who, status_code=status, error=exc.message, error_urn=urn)
        return RedirectResponse("/ui/?done=assigned", status_code=303)

    ui_case.add_routes(router)
    return router


async def caseload_page(
    request: Request, who: Principal, *, status_code: int = 200, done: str = "", error: str = "", error_urn: str = ""
) -> Response:
    d = deps(request)
    now = d.clock.now()
    filters = vm.Filters.from_query(dict(request.query_params))
    async with d.pool.acquire() as conn:
        rows = await views.caseload(conn, who, now)
        contacted = await views.contacted(conn, [r["urn"] for r in rows])
        roster = await views.team_roster(conn, who)
    shown = [r for r in vm.caseload_rows(rows, now, contacted) if filters.keep(r)]
    return render(
        request,
        "caseload.html",
        status_code=status_code,
        who=who,
        cases=shown,
        total=len(rows),
        counts=vm.counts([r for r in rows if filters.keep(r)], now, contacted),
        filters=filters,
        stages=vm.STAGES,
        forces=sorted({vm.force_of(r["urn"]) for r in rows}),
        manager=who.role == "manager",
        roster=roster,
        done=done,
        error=error,
        error_urn=error_urn,
    )
