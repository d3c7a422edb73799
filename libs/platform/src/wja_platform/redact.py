"""Credentials never reach a span, a log line or a URL we accept.

Guarantees:

- :func:`query_credentials` names the query parameters that carry a credential (a token, a
  password, a secret, or any value shaped like a JWT); the app refuses such a request with 400
  (:mod:`wja_platform.web`), so a bearer token never travels in a URL, where it would be kept in
  access logs, span attributes and browser history.
- :func:`text` redacts, in any text, the value of every sensitive query key, every
  ``Authorization``/cookie value and anything shaped like a JWT. Span attributes
  (:func:`attributes`, used by the span exporter of :mod:`wja_platform.telemetry`) and log records
  (:class:`LogFilter`) go through it before they are written anywhere.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

REDACTED = "REDACTED"

CREDENTIAL_KEYS = frozenset(
    {
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "jwt",
        "bearer",
        "authorization",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "api_key",
        "apikey",
    }
)
"""Query parameters that carry a credential: a request with one is refused (400)."""

SENSITIVE_KEYS = CREDENTIAL_KEYS | {"code", "key", "sig", "signature", "session", "csrf_token", "cookie"}
"""Query parameters whose values are redacted in spans and logs (OAuth codes, signed-URL keys, too)."""

SENSITIVE_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")
"""Headers whose values never go in a span (passed to the FastAPI/httpx instrumentation as sanitize fields)."""

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
"""A JWT (its header always starts ``{"`` → ``eyJ`` in base64url), whatever carries it."""

_QUERY_PAIR = re.compile(
    r"(?i)(?P<key>\b(?:" + "|".join(sorted(map(re.escape, SENSITIVE_KEYS), key=len, reverse=True)) + r"))"
    r"(?P<sep>=|%3D)(?P<value>[^&\s\"'#;]*)"
)
_AUTH_VALUE = re.compile(r"(?i)\b(?P<key>bearer|basic)\s+(?P<value>[A-Za-z0-9._~+/=-]+)")
_COOKIE_HEADER = re.compile(r"(?i)\b(?P<key>(?:set-)?cookie|authorization)(?P<sep>\s*[:=]\s*)(?P<value>[^\r\n]+)")
_HEADER_ATTRIBUTE = re.compile(r"(?i)\.header\.(authorization|proxy_authorization|cookie|set_cookie|x_api_key)$")


def query_credentials(query_string: str | bytes) -> list[str]:
    """The names of the query parameters that carry a credential (empty when none do)."""
    raw = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    found = []
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if key.lower() in CREDENTIAL_KEYS or JWT.search(value) or JWT.search(key):
            found.append(key if key.lower() in CREDENTIAL_KEYS else "query")
    return found


_MAY_HOLD_ONE = re.compile(r"(?i)[=:]|%3D|eyJ|bearer|basic")
"""Something every pattern below needs (a separator, a scheme or a JWT's start): a text without any
(most span attributes: ids, URNs, topics, event types) is returned as it is, without the four passes."""


def text(value: str) -> str:
    """``value`` with sensitive query values, authorization and cookie values and JWTs redacted."""
    if not value or not _MAY_HOLD_ONE.search(value):
        return value
    return _every_pass(value)


def _every_pass(value: str) -> str:
    value = _COOKIE_HEADER.sub(lambda m: f"{m['key']}{m['sep']}{REDACTED}", value)
    value = _AUTH_VALUE.sub(lambda m: f"{m['key']} {REDACTED}", value)
    value = _QUERY_PAIR.sub(lambda m: f"{m['key']}{m['sep']}{REDACTED}", value)
    return JWT.sub(REDACTED, value)


def attributes(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Span attributes with every captured credential header dropped to ``REDACTED`` and every text redacted."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if _is_header_attribute(key):
            out[key] = REDACTED
        elif isinstance(value, str):
            out[key] = text(value)
        elif isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
            out[key] = tuple(text(v) for v in value)
        else:
            out[key] = value
    return out


@functools.lru_cache(maxsize=1024)
def _is_header_attribute(key: str) -> bool:
    """Attribute keys repeat on every span: the pattern runs once per key."""
    return _HEADER_ATTRIBUTE.search(key) is not None


class LogFilter(logging.Filter):
    """Redacts every log record's message (and its arguments) before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        redacted = text(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


def install_log_filter(*logger_names: str) -> None:
    """Put :class:`LogFilter` on every handler of the root logger and of ``logger_names`` (e.g. uvicorn's)."""
    log_filter = LogFilter()
    for name in ("", *logger_names):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, LogFilter) for f in handler.filters):
                handler.addFilter(log_filter)
