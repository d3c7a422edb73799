"""Simulated time on requests: the signed ``WJA-Sim-Time`` header (see :mod:`wja_platform.clock`).

A simulator (``wja simulate``) sends ``WJA-Sim-Time: <RFC 3339 time>;<HMAC-SHA256 hex>`` on each
request; :class:`SimulatedTime` checks the signature and makes that time the clock's for the
request. Guarantees:

- **Never in prod.** The ``simulation`` setting is refused at start-up when ``env`` is ``prod``
  (:class:`~wja_platform.settings.ServiceSettings`), and a request carrying the header to a
  service whose simulation is off (always so in prod) is answered 400, unrouted: a header that
  would move time is never silently ignored.
- **Only the secret's holders move time.** A missing, malformed or wrong signature is 400.
- **Visible.** Every span started while a simulated time is set carries ``wja.sim.time``
  (:class:`~wja_platform.telemetry.CaseUrnSpanProcessor`), the HTTP server span included.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from opentelemetry import trace
from starlette.types import ASGIApp, Receive, Scope, Send

from wja_platform import auth, clock, errors, telemetry
from wja_platform.settings import ServiceSettings

HEADER = "WJA-Sim-Time"
SPAN_ATTRIBUTE = telemetry.SIM_TIME_ATTRIBUTE
_LABEL = b"wja-simulation-clock\x00"


def secret_for(signing_key: str, configured: str = "") -> bytes:
    """The simulation key: the configured secret, else one derived from the token signing key."""
    if configured:
        return configured.encode()
    return hmac.new(signing_key.encode(), _LABEL, hashlib.sha256).digest()


def secret(settings: ServiceSettings) -> bytes:
    """The simulation key of a service's settings."""
    return secret_for(auth.signing_key(settings), settings.simulation_secret)


def _format(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sign(key: bytes, at: datetime) -> str:
    """The header value that sets the clock to ``at``."""
    text = _format(at)
    return f"{text};{hmac.new(key, _LABEL + text.encode(), hashlib.sha256).hexdigest()}"


def verify(key: bytes, value: str) -> datetime:
    """The time a header value carries.

    Raises:
        ValueError: malformed, without a UTC offset, or not signed with ``key`` (the message names no value).
    """
    text, _, mac = value.partition(";")
    want = hmac.new(key, _LABEL + text.strip().encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, mac.strip()):
        msg = "the simulated time is not signed with this stack's simulation key"
        raise ValueError(msg)
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        msg = "the simulated time is not an RFC 3339 date-time"
        raise ValueError(msg) from None
    if at.tzinfo is None:
        msg = "the simulated time needs a UTC offset"
        raise ValueError(msg)
    return at.astimezone(UTC)


DISABLED = (
    f"{HEADER} is refused: simulated time is off on this service (it is never on in prod;"
    " a dev stack enables it with WJA_SIMULATION=true)"
)


class SimulatedTime:
    """ASGI middleware: a request's ``WJA-Sim-Time`` header becomes the clock's time for that request."""

    def __init__(self, app: ASGIApp, settings: ServiceSettings) -> None:
        self.app = app
        self.settings = settings
        self._key: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = _header(scope) if scope["type"] == "http" else None
        if raw is None:
            await self.app(scope, receive, send)
            return
        if not self.settings.simulation or self.settings.env == "prod":
            await _refuse(send, DISABLED)
            return
        if self._key is None:
            self._key = secret(self.settings)
        try:
            at = verify(self._key, raw)
        except ValueError as exc:
            await _refuse(send, str(exc))
            return
        trace.get_current_span().set_attribute(SPAN_ATTRIBUTE, _format(at))
        with clock.simulating(at):
            await self.app(scope, receive, send)


def _header(scope: Scope) -> str | None:
    name = HEADER.lower().encode()
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _refuse(send: Send, message: str) -> None:
    body = json.dumps(errors.body(message, [{"field": f"header.{HEADER}", "message": message}])).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})
