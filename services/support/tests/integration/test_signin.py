"""Signing in to the IDVA page: a POST form only, a strict cookie, CSRF on every form; never a token in a URL."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest
from wja_platform import telemetry, web
from wja_schemas import new_envelope
from wja_schemas.examples import example

pytestmark = pytest.mark.integration
CSRF = re.compile(r"""name=["']?csrf_token["']? value=["']([^"']+)["']""")


def jwt_of(support, sub: str = "idva-a", role: str = "idva") -> str:
    return support.h("idva", role, sub)["Authorization"].split()[1]


async def signin_form(client) -> str:
    """Load the sign-in page (as a browser would) and return the CSRF token of its form."""
    page = await client.get("/ui/signin")
    assert page.status_code == 200 and re.search(r"""<form method=["']?post["']? action=["']?/ui/signin""", page.text)
    return CSRF.search(page.text).group(1)


async def sign_in(client, jwt: str, next_page: str = "/ui/") -> object:
    csrf = await signin_form(client)
    return await client.post("/ui/signin", data={"csrf_token": csrf, "token": jwt, "next": next_page})


async def test_a_token_in_a_query_string_is_refused_and_kept_in_no_span_and_no_log(support, caplog):
    caplog.set_level(logging.DEBUG)
    jwt = jwt_of(support)
    for url in (
        f"/ui/signin?token={jwt}",
        f"/ui/signin?next=/ui/&access_token={jwt}",
        f"/v1/cases/{support.urn()}/timeline?jwt={jwt}",
        f"/healthz?anything={jwt}",  # a JWT is refused whatever the parameter's name
        "/v1/caseload?password=hunter2",
    ):
        r = await support.client.get(url)
        assert r.status_code == 400, url
        body = r.json()
        assert "must not be sent in a URL" in body["message"] and body["errors"][0]["message"] == "not allowed in a URL"
        assert jwt not in r.text and "hunter2" not in r.text
    assert support.client.cookies.get(web.SESSION_COOKIE) is None
    assert telemetry.flush()
    spans = telemetry.span_file().read_text()
    assert "token=REDACTED" in spans and "/ui/signin" in spans  # the refused request was traced, redacted
    assert jwt not in spans and jwt.split(".")[2] not in spans and "hunter2" not in spans
    server_logs = [r.getMessage() for r in caplog.records if r.name != "httpx"]  # httpx here is this test's client
    assert not any(jwt in line for line in server_logs)


async def test_signing_in_with_the_form_sets_a_strict_http_only_cookie_and_lands_on_the_page(support):
    case = await support.referred(support.urn())
    urn = case["urn"]
    page = await support.client.get("/ui/signin")
    assert "Secure" not in page.headers["set-cookie"]  # dev: plain http on 127.0.0.1 must work
    assert "wja_presession=" in page.headers["set-cookie"] and "samesite=strict" in page.headers["set-cookie"].lower()
    r = await sign_in(support.client, jwt_of(support, case["idva"]), f"/ui/cases/{urn}")
    assert r.status_code == 303 and r.headers["location"] == f"/ui/cases/{urn}"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{web.SESSION_COOKIE}="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    shown = await support.client.get(f"/ui/cases/{urn}")
    assert shown.status_code == 200 and f"Case {urn}" in shown.text and "Sign out" in shown.text
    assert (await support.client.get("/ui/")).text.count(urn) >= 1


async def test_after_sign_in_the_browser_goes_only_to_a_page_of_this_site(support):
    jwt = jwt_of(support)
    for target in ("https://evil.example/ui/", "//evil.example/ui/", "/ui//evil.example", "/v1/caseload", "/ui/\\x"):
        support.client.cookies.clear()
        r = await sign_in(support.client, jwt, target)
        assert r.status_code == 303 and r.headers["location"] == "/ui/", target


async def test_a_bad_token_in_the_form_signs_nobody_in_and_is_not_echoed(support):
    forged = jwt_of(support)[:-4] + "AAAA"
    r = await sign_in(support.client, forged)
    assert r.status_code == 401 and "Not signed in" in r.text and forged not in r.text
    assert web.SESSION_COOKIE not in r.headers.get("set-cookie", "")
    assert (await support.client.get("/ui/")).status_code == 303


async def test_the_sign_in_form_needs_its_pre_session_csrf_token(support):
    jwt = jwt_of(support)
    await signin_form(support.client)
    missing = await support.client.post("/ui/signin", data={"token": jwt})
    wrong = await support.client.post("/ui/signin", data={"token": jwt, "csrf_token": "0" * 64})
    for r in (missing, wrong):
        assert r.status_code == 403 and r.json()["errors"][0]["field"] == "csrf_token"
        assert "did not come from this site" in r.json()["message"] and jwt not in r.text
    assert web.SESSION_COOKIE not in support.client.cookies


async def test_recording_a_contact_needs_the_sessions_csrf_token(support):
    case = await support.referred(support.urn())
    urn, idva = case["urn"], case["idva"]
    arrested = example("wja.intake.suspect.arrested.v1", urn=urn, arrested_at=datetime(2026, 9, 14, 9, tzinfo=UTC))
    await support.send(new_envelope(arrested))
    tl = await support.timeline(urn, idva, wait_for=lambda b: any(e.get("tell_victim_by") for e in b["entries"]))
    due = next(e["id"] for e in tl["entries"] if e.get("tell_victim_by") and not e.get("told_at"))
    before = await signin_form(support.client)  # a genuine token, but of the pre-session, not of this session
    await support.client.post("/ui/signin", data={"csrf_token": before, "token": jwt_of(support, idva)})
    page = await support.client.get(f"/ui/cases/{urn}")
    token = CSRF.findall(page.text)
    assert len(set(token)) == 1 and len(token) >= 2 and before not in token  # sign-out form and every action
    form = {"about": due, "channel": "phone", "at": "2026-09-14T12:00"}

    async def told() -> bool:
        body = await support.timeline(urn, idva)
        return any(e["id"] == due and e.get("told_at") for e in body["entries"])

    for bad in ({}, {"csrf_token": "f" * 64}, {"csrf_token": before}):
        r = await support.client.post(
            f"/ui/cases/{urn}/contacts", data={**form, **bad}, headers={"accept": "text/html"}
        )
        assert r.status_code == 403 and "Form refused" in r.text and "reload the page" in r.text
    assert not await told()
    r = await support.client.post(f"/ui/cases/{urn}/contacts", data={**form, "csrf_token": token[0]})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/ui/cases/{urn}")
    assert await told()


async def test_signing_out_needs_the_csrf_token_and_ends_the_session(support):
    await sign_in(support.client, jwt_of(support))
    token = CSRF.search((await support.client.get("/ui/")).text).group(1)
    assert (await support.client.post("/ui/signout")).status_code == 403
    assert (await support.client.get("/ui/")).status_code == 200
    r = await support.client.post("/ui/signout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/ui/signin"
    assert (await support.client.get("/ui/")).status_code == 303
