"""Web pages' sign-in and CSRF protection: one implementation for every service with a page.

Guarantees:

- A bearer token never travels in a URL. Sign-in is a ``POST`` form (the token pasted in a
  field); any request with a credential in its query string, on any endpoint, is refused with
  400 before routing (:class:`NoCredentialsInUrl`), and telemetry redacts it anyway.
- The token is kept in an ``HttpOnly``, ``SameSite=Strict`` cookie, ``Secure`` outside dev.
- Every form carries a CSRF token (:func:`csrf_token`) bound to the session: an HMAC, under the
  service's signing key, of the session cookie, or, before sign-in, of a random pre-session
  cookie. :func:`require_csrf` checks it on every form ``POST``; missing or wrong is 403.
- After sign-in the browser goes only to a same-site page under the pages' prefix
  (:func:`safe_next`): never to another host, scheme or path outside it.

Pages are rendered by the service; this module has no markup beyond the minimal sign-in form
(:func:`signin_router` takes another renderer), so templates can replace it.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from wja_platform import auth, errors, redact
from wja_platform.auth import Principal

SESSION_COOKIE = "wja_token"
PRESESSION_COOKIE = "wja_presession"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 8 * 3600
"""A session lasts no longer than the tokens ``wja token`` issues by default."""

FORM_TYPE = "application/x-www-form-urlencoded"
URL_REFUSED = (
    "a token or other credential must not be sent in a URL (it would be kept in logs and browser history):"
    " send it in the Authorization header, or sign in with the form at /ui/signin"
)
CSRF_REFUSED = "this form has expired or did not come from this site: reload the page and try again"


class CsrfError(errors.ForbiddenError):
    """A form ``POST`` without the session's CSRF token → 403."""

    def __init__(self) -> None:
        super().__init__(CSRF_REFUSED, field=CSRF_FIELD)


class NoCredentialsInUrl:
    """ASGI middleware: a request with a credential in its query string is answered 400, unrouted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (names := redact.query_credentials(scope.get("query_string", b""))):
            fields = [{"field": f"query.{name}", "message": "not allowed in a URL"} for name in sorted(set(names))]
            body = json.dumps(errors.body(URL_REFUSED, fields)).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _key(request: Request) -> bytes:
    return hashlib.sha256(b"wja-csrf\x00" + request.app.state.jwt_keys[0].encode()).digest()


def _mac(request: Request, binding: str) -> str:
    return hmac.new(_key(request), binding.encode(), hashlib.sha256).hexdigest()


def _binding(request: Request) -> str | None:
    """What the CSRF token is bound to: the session, else the pre-session (new ones are on ``request.state``)."""
    return (
        request.cookies.get(SESSION_COOKIE)
        or getattr(request.state, "wja_presession", None)
        or request.cookies.get(PRESESSION_COOKIE)
    )


def csrf_token(request: Request) -> str:
    """The CSRF token to put in every form of this page (hidden field :data:`CSRF_FIELD`).

    Signed in, it is bound to the session; before, to the pre-session cookie that the sign-in page
    sets. Rotating the signing key changes it: a form opened before then asks to be reloaded.
    """
    binding = _binding(request)
    if binding is None:
        binding = request.state.wja_presession = secrets.token_urlsafe(32)
    return _mac(request, binding)


async def form(request: Request) -> dict[str, list[str]]:
    """The fields of a urlencoded form body (empty for any other content type)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        return {}
    return parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)


async def require_csrf(request: Request) -> dict[str, list[str]]:
    """FastAPI dependency for form ``POST``s: the form's fields once its CSRF token checks out (403 otherwise)."""
    fields = await form(request)
    sent = (fields.get(CSRF_FIELD) or [""])[0]
    binding = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRESESSION_COOKIE)
    if not sent or binding is None or not hmac.compare_digest(sent.encode(), _mac(request, binding).encode()):
        raise CsrfError
    return fields


CsrfForm = Annotated[dict[str, list[str]], Depends(require_csrf)]
"""A form body whose CSRF token was checked."""


def session_principal(request: Request) -> Principal | None:
    """The signed-in caller of a page (the session cookie's token, verified), or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return auth.verify(token, request.app.state.jwt_keys, request.app.state.jwt_algorithm)
    except HTTPException:
        return None


def safe_next(target: str | None, prefix: str = "/ui/") -> str:
    """``target`` when it is a page of this site under ``prefix``; ``prefix`` otherwise (no open redirect)."""
    if not target or any(c in target for c in "\\\r\n\t") or "//" in target or "/.." in target:
        return prefix
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix):
        return prefix
    return target


def signin_redirect(request: Request, prefix: str = "/ui/") -> RedirectResponse:
    """Send a visitor who is not signed in to the sign-in form, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{prefix}signin?next={quote(safe_next(here, prefix), safe='/')}", status_code=303)


def _secure(request: Request) -> bool:
    runtime = getattr(request.app.state, "runtime", None)
    return runtime is None or runtime.settings.env != "dev"


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )


def signin_form(title: str, csrf: str, next_page: str, error: str | None = None) -> str:
    """The minimal sign-in page (a service may render its own with the same fields)."""
    problem = f"<p role=alert><strong>{html.escape(error)}</strong></p>" if error else ""
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign in · {html.escape(title)}</title>"
        "<meta name=viewport content='width=device-width'></head><body><main><h1>Sign in</h1>"
        f"{problem}<form method=post action=/ui/signin>"
        f"<input type=hidden name={CSRF_FIELD} value='{html.escape(csrf)}'>"
        f"<input type=hidden name=next value='{html.escape(next_page)}'>"
        "<p><label>Your access token<br><textarea name=token rows=5 cols=60 required autocomplete=off>"
        "</textarea></label></p><button>Sign in</button></form></main></body></html>"
    )


Renderer = Callable[[str, str, str | None], str]
"""(csrf token, next page, error or None) → the sign-in page's HTML."""


def signin_router(title: str, render: Renderer | None = None, prefix: str = "/ui/") -> APIRouter:
    """``GET {prefix}signin`` (the form), ``POST {prefix}signin`` and ``POST {prefix}signout``."""
    router = APIRouter(prefix=prefix.rstrip("/"), include_in_schema=False)
    page: Renderer = render or (lambda csrf, target, error: signin_form(title, csrf, target, error))

    def show(request: Request, target: str, error: str | None = None, status: int = 200) -> Response:
        response = HTMLResponse(page(csrf_token(request), target, error), status_code=status)
        response.headers["Cache-Control"] = "no-store"
        fresh = getattr(request.state, "wja_presession", None)
        if fresh:
            _cookie(request, response, PRESESSION_COOKIE, fresh, SESSION_SECONDS)
        return response

    @router.get("/signin")
    async def signin_page(request: Request, next: str = prefix) -> Response:
        return show(request, safe_next(next, prefix))

    @router.post("/signin")
    async def signin(request: Request, fields: CsrfForm) -> Response:
        token = (fields.get("token") or [""])[0].strip()
        target = safe_next((fields.get("next") or [prefix])[0], prefix)
        try:
            auth.verify(token, request.app.state.jwt_keys, request.app.state.jwt_algorithm)
        except HTTPException as exc:
            return show(request, target, f"Not signed in: {exc.detail}. Paste a current token.", exc.status_code)
        response = RedirectResponse(target, status_code=303)
        _cookie(request, response, SESSION_COOKIE, token, SESSION_SECONDS)
        response.delete_cookie(PRESESSION_COOKIE, path="/")
        return response

    @router.post("/signout")
    async def signout(_: CsrfForm) -> Response:
        response = RedirectResponse(f"{prefix}signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router


def install(app: FastAPI) -> None:
    """Refuse credentials in URLs (400) and answer a failed CSRF check with a 403 page or error body."""
    app.add_middleware(NoCredentialsInUrl)

    @app.exception_handler(CsrfError)
    async def csrf_refused(request: Request, exc: CsrfError) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(
                "<!doctype html><html lang=en><head><meta charset=utf-8><title>Form refused</title></head>"
                f"<body><main><h1>Form refused</h1><p>{html.escape(exc.message)}.</p>"
                "<p><a href=/ui/>Back to the page</a></p></main></body></html>",
                status_code=403,
            )
        return JSONResponse(errors.body(exc.message, [{"field": CSRF_FIELD, "message": exc.message}]), 403)
