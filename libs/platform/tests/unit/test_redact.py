"""No credential in a span or a log line; sign-in cookies and redirects that cannot be turned against the user."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI, Request
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from wja_platform import auth, redact, telemetry, web

KEY = "k" * 32
JWT = auth.mint(KEY, sub="idva-a", agency="idva", role="idva")


@pytest.mark.parametrize(
    ("query", "names"),
    [
        (f"token={JWT}", ["token"]),
        ("access_token=abc&next=/ui/", ["access_token"]),
        ("PASSWORD=x", ["PASSWORD"]),
        (f"next=/ui/%3Ftoken%3D{JWT}", ["query"]),  # a JWT hidden in another parameter's value
        ("quarter=2026-27Q2&force=01", []),
        ("purpose=claim_check&since=2026-09-14T10:00:00Z", []),
    ],
)
def test_credentials_in_a_query_string_are_found_by_name_or_by_shape(query, names):
    assert redact.query_credentials(query) == names


def test_text_redacts_sensitive_query_values_authorization_cookies_and_jwts():
    line = (
        f'GET /ui/signin?next=/ui/&token={JWT}&code=abc123&quarter=2026Q3 "Authorization: Bearer {JWT}"'
        f" Cookie: wja_token={JWT}; wja_presession=p0"
    )
    out = redact.text(line)
    assert JWT not in out and JWT.split(".")[2] not in out and "abc123" not in out and "p0" not in out
    assert "token=REDACTED" in out and "quarter=2026Q3" in out and "next=/ui/" in out
    assert redact.text(f"sent {JWT[:-1]}!") == "sent REDACTED!"


def test_the_log_filter_redacts_an_access_log_line_before_any_handler_writes_it(tmp_path):
    path = tmp_path / "access.log"
    handler = logging.FileHandler(path)
    logger = logging.getLogger("test.uvicorn.access")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        handler.addFilter(redact.LogFilter())
        logger.warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/ui/signin?token={JWT}", "1.1", 400)
        logger.warning("claim check for %s failed", "01SP1234526")
    finally:
        logger.removeHandler(handler)
        handler.close()
    written = path.read_text()
    assert JWT not in written and '"GET /ui/signin?token=REDACTED HTTP/1.1" 400' in written
    assert "claim check for 01SP1234526 failed" in written


def test_spans_are_written_without_query_credentials_or_header_values(tmp_path):
    out = tmp_path / "spans.jsonl"
    provider = TracerProvider()
    exporter = telemetry.RedactingSpanExporter(telemetry.JsonLinesSpanExporter(out, "wja-test"))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span(
        "GET /ui/signin",
        attributes={
            "http.url": f"http://127.0.0.1/ui/signin?token={JWT}&next=/ui/",
            "url.query": f"access_token={JWT}",
            "http.request.header.authorization": (f"Bearer {JWT}",),
            "http.request.header.cookie": ("wja_presession=session-value-kept-out",),
            "http.target": "/ui/signin",
        },
    ) as span:
        span.add_event("exception", {"exception.message": f"bad token {JWT}"})
    provider.shutdown()
    written = out.read_text()
    attrs = json.loads(written)["attributes"]
    assert JWT not in written and "session-value-kept-out" not in written
    assert attrs["http.url"] == "http://127.0.0.1/ui/signin?token=REDACTED&next=/ui/"
    assert attrs["http.request.header.authorization"] == "REDACTED" and attrs["http.target"] == "/ui/signin"


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/ui/cases/01SP1234526", "/ui/cases/01SP1234526"),
        ("/ui/?force=01", "/ui/?force=01"),
        ("https://evil.example/ui/", "/ui/"),
        ("//evil.example/ui/", "/ui/"),
        ("/ui//evil.example", "/ui/"),
        ("/ui/\\evil.example", "/ui/"),
        ("/ui/../admin/replay", "/ui/"),
        ("/v1/caseload", "/ui/"),
        ("javascript:alert(1)", "/ui/"),
        ("", "/ui/"),
    ],
)
def test_after_sign_in_only_a_page_of_this_site_is_a_destination(target, landing):
    assert web.safe_next(target) == landing


async def test_outside_dev_the_session_cookie_is_secure_and_the_csrf_token_is_bound_to_the_session():
    app = FastAPI()
    app.state.jwt_keys, app.state.jwt_algorithm = (KEY,), "HS256"
    web.install(app)
    app.include_router(web.signin_router("test"))

    @app.get("/ui/token")
    async def current(request: Request) -> dict[str, str]:
        return {"csrf": web.csrf_token(request)}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        form = await client.get("/ui/signin")
        assert "Secure" in form.headers["set-cookie"]  # no runtime settings: not dev, so Secure
        pre = (await client.get("/ui/token")).json()["csrf"]
        r = await client.post("/ui/signin", data={"token": JWT, "csrf_token": pre, "next": "/ui/token"})
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
        session = (await client.get("/ui/token")).json()["csrf"]
        assert session != pre  # a new session, a new token: the pre-session's no longer passes
        assert (await client.post("/ui/signout", data={"csrf_token": pre})).status_code == 403
        assert (await client.post("/ui/signout", data={"csrf_token": "é" * 64})).status_code == 403
        assert (await client.post("/ui/signout", data={"csrf_token": session})).status_code == 303
        assert (await client.get(f"/ui/signin?token={JWT}")).status_code == 400


_PIECES = st.sampled_from(
    [
        "token",
        "=",
        "%3D",
        ":",
        " ",
        "Bearer ",
        "basic ",
        "cookie",
        "Set-Cookie",
        "eyJhbGciOi",
        ".",
        "abcd_EF-12",
        "&",
        "?",
        "code",
        "01YE00001",
        "wja.case.urn",
        "\n",
        "authorization",
        "x",
    ]
)


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_fast_path_never_changes_what_is_redacted(value):
    """``text`` skips the four passes when a text holds nothing any of them needs: it must give what they give."""
    assert redact.text(value) == redact._every_pass(value)


def test_the_fast_path_still_redacts_a_jwt_and_a_bearer_token():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert redact.text(f"sent {jwt}") == "sent REDACTED" and "abcdef" not in redact.text("Bearer abcdef")


class Kept(telemetry.SpanExporter):
    def __init__(self) -> None:
        self.spans: list[telemetry.ReadableSpan] = []

    def export(self, spans):  # type: ignore[no-untyped-def]
        self.spans += spans
        return telemetry.SpanExportResult.SUCCESS


def test_remembered_clean_texts_never_let_a_credential_through():
    """Texts found clean are remembered (a clean span is exported uncopied); a credential is redacted every time,
    and a header attribute is redacted whatever its value, even a value seen clean before."""
    kept = Kept()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.RedactingSpanExporter(kept)))
    tracer = provider.get_tracer("test")
    for _ in range(5):
        with tracer.start_as_current_span("INSERT", attributes={"db.statement": "INSERT INTO cases VALUES ($1)"}):
            pass
        with tracer.start_as_current_span(f"GET /x?token={JWT}", attributes={"url.query": f"token={JWT}"}) as span:
            span.add_event("exception", {"exception.message": f"bad token {JWT}"})
        with tracer.start_as_current_span("GET /x", attributes={"http.target": "plain"}):
            pass
        with tracer.start_as_current_span("GET /x", attributes={"http.request.header.cookie": "plain"}):
            pass
    provider.shutdown()
    plain, secret, seen, header = kept.spans[-4:]  # the last round: every text was met in the rounds before
    assert plain.attributes == {"db.statement": "INSERT INTO cases VALUES ($1)"}
    assert secret.name == "GET /x?token=REDACTED" and secret.attributes == {"url.query": "token=REDACTED"}
    assert JWT not in str(secret.events[0].attributes)
    assert seen.attributes == {"http.target": "plain"}
    assert header.attributes == {"http.request.header.cookie": "REDACTED"}
