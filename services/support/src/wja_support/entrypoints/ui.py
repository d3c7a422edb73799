"""The IDVA's web page: sign in with a token, caseload with deadlines, a case's timeline, record a contact.

Plain server-rendered HTML (no scripts). Sign-in (a POST form), the session cookie and the CSRF
token every form carries are the platform's (:mod:`wja_platform.web`); the session's token is
checked with the same rules as the API.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from wja_platform import web
from wja_platform.auth import Principal

from wja_support import views
from wja_support.service_layer import handlers

LONDON = ZoneInfo("Europe/London")  # deadlines are 23:59 London time: show them so
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
header{background:#2b3a55;color:#fff;padding:14px 28px;display:flex;justify-content:space-between;align-items:center}
header a{color:#fff}main{max-width:1100px;margin:24px auto;padding:0 24px}
table{width:100%;border-collapse:collapse;background:#fff;box-shadow:0 1px 3px #0002}
th,td{padding:10px 12px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}.overdue{color:#b00020;font-weight:700}.told{color:#17733a}
.card{background:#fff;padding:20px;box-shadow:0 1px 3px #0002;margin-bottom:20px}
button{background:#2b3a55;color:#fff;border:0;padding:9px 16px;border-radius:4px;font-size:15px;cursor:pointer}
textarea{width:100%;font-family:monospace}select,input{font-size:15px;padding:6px}
.stage{display:inline-block;background:#e7ecf7;padding:3px 9px;border-radius:10px}
"""


def csrf_field(request: Request) -> str:
    """The hidden CSRF field every form of the page carries."""
    return f"<input type=hidden name={web.CSRF_FIELD} value='{html.escape(web.csrf_token(request))}'>"


def page(request: Request, title: str, body: str, who: Principal | None = None) -> HTMLResponse:
    user = (
        f"<span>{html.escape(who.sub)} ({html.escape(who.role)}) · "
        f"<form method=post action=/ui/signout style=display:inline>{csrf_field(request)}"
        "<button>Sign out</button></form></span>"
        if who
        else ""
    )
    return HTMLResponse(shell(title, body, user))


def shell(title: str, body: str, user: str = "") -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<meta name=viewport content='width=device-width'><style>{STYLE}</style></head><body>"
        f"<header><strong><a href=/ui/>Whole Justice · IDVA</a></strong>{user}</header>"
        f"<main>{body}</main></body></html>"
    )


def signin_page(csrf: str, next_page: str, error: str | None) -> str:
    """The sign-in form, in the page's own style (fields as :func:`wja_platform.web.signin_form`)."""
    problem = f"<p class=overdue role=alert>{html.escape(error)}</p>" if error else ""
    return shell(
        "Sign in",
        f"<div class=card><h1>Sign in</h1>{problem}<form method=post action=/ui/signin>"
        f"<input type=hidden name={web.CSRF_FIELD} value='{html.escape(csrf)}'>"
        f"<input type=hidden name=next value='{html.escape(next_page)}'>"
        "<p><label>Your access token<br><textarea name=token rows=5 required autocomplete=off></textarea>"
        "</label></p><button>Sign in</button></form></div>",
    )


def when(value: str | None) -> str:
    if not value:
        return ""
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return at.astimezone(LONDON).strftime("%d %b %Y %H:%M")


def build_router() -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False)

    @router.get("/")
    async def home(request: Request) -> Response:
        who = web.session_principal(request)
        if who is None:
            return web.signin_redirect(request)
        d: handlers.Deps = request.app.state.deps
        try:
            async with d.pool.acquire() as conn:
                cases = await views.caseload(conn, who, d.clock.now())
        except Exception as exc:
            return page(
                request,
                "Not allowed",
                f"<div class=card>{html.escape(getattr(exc, 'message', 'Not allowed'))}</div>",
                who,
            )
        rows = "".join(
            f"<tr><td><a href='/ui/cases/{c['urn']}'>{c['urn']}</a></td><td><span class=stage>"
            f"{c['stage'].replace('_', ' ')}</span></td><td>{when(c['next_deadline'])}</td>"
            f"<td class={'overdue' if c['overdue'] else ''}>{c['overdue'] or ''}</td>"
            f"<td>{html.escape(c['contact_status'].replace('_', ' '))}</td></tr>"
            for c in cases
        )
        table = (
            (
                f"<table><tr><th>Case</th><th>Stage</th><th>Next deadline</th><th>Overdue</th><th>Contact details</th>"
                f"</tr>{rows}</table>"
            )
            if cases
            else "<p>No cases assigned.</p>"
        )
        return page(request, "Caseload", f"<h1>Caseload</h1>{table}", who)

    @router.get("/cases/{urn}")
    async def case(urn: str, request: Request) -> Response:
        who = web.session_principal(request)
        if who is None:
            return web.signin_redirect(request)
        d: handlers.Deps = request.app.state.deps
        try:
            async with d.pool.acquire() as conn:
                tl = await views.timeline(conn, who, urn, d.clock.now())
        except Exception as exc:
            return page(
                request,
                "Not allowed",
                f"<div class=card>{html.escape(getattr(exc, 'message', 'Not allowed'))}</div>",
                who,
            )
        return page(request, urn, _timeline(urn, tl, csrf_field(request)), who)

    @router.post("/cases/{urn}/contacts")
    async def contact(urn: str, request: Request, form: web.CsrfForm) -> Response:
        who = web.session_principal(request)
        if who is None:
            return web.signin_redirect(request)
        about = form.get("about", [])
        channel = form.get("channel", ["phone"])[0]
        d: handlers.Deps = request.app.state.deps
        if about:
            try:
                await handlers.record_contact(d, who, urn, about, channel, d.clock.now())
            except Exception as exc:
                return page(
                    request,
                    "Not recorded",
                    f"<div class=card>{html.escape(getattr(exc, 'message', 'error'))}</div>",
                    who,
                )
        return RedirectResponse(f"/ui/cases/{urn}", status_code=303)

    return router


def _timeline(urn: str, tl: dict[str, Any], csrf: str) -> str:
    rows = []
    for e in tl["entries"]:
        due = ""
        if e.get("tell_victim_by"):
            if e.get("told_at"):
                due = f"<span class=told>told {when(e['told_at'])}</span>"
            else:
                cls = "overdue" if e.get("overdue") else ""
                box = f"<input type=checkbox name=about value='{html.escape(e['id'])}'>"
                due = f"{box} <span class={cls}>tell by {when(e['tell_victim_by'])}{' (overdue)' if cls else ''}</span>"
        rows.append(
            f"<tr><td>{when(e['at'])}</td><td>{html.escape(e['agency'])}</td><td>{html.escape(e['summary'])}</td>"
            f"<td>{html.escape(e.get('duty_holder') or '')}</td><td>{due}</td></tr>"
        )
    return (
        f"<h1>Case {html.escape(urn)} <span class=stage>{tl['stage'].replace('_', ' ')}</span></h1>"
        f"<form method=post action='/ui/cases/{html.escape(urn)}/contacts'>{csrf}"
        "<table><tr><th>When</th><th>Agency</th>"
        f"<th>What happened</th><th>Duty</th><th>Victim told?</th></tr>{''.join(rows)}</table>"
        "<div class=card style='margin-top:16px'>Record that the victim was told about the ticked entries by "
        "<select name=channel><option>phone</option><option>in_person</option><option>email</option>"
        "<option>letter</option><option>text</option></select> <button>Record contact</button></div></form>"
    )
