"""Bearer-token auth: one reusable FastAPI dependency with agency and role checks.

Tokens are JWTs (PyJWT) with ``sub``, ``agency``, ``role``, ``exp`` and optional ``force``
and ``team``. Only the configured algorithm is accepted (``none`` and others are refused).
The dev signing key that ``wja setup`` creates is refused outside dev mode.

The secret may be a list, ``new,old``: the first key signs, every key verifies, so a key is
rotated without a moment when the services must all restart together (docs/runbook.md).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.types import Options

from wja_platform.settings import ServiceSettings

AGENCIES = {
    "police": {"officer", "supervisor", "analyst", "service"},
    "cps": {"prosecutor", "analyst", "service"},
    "court": {"listing_officer", "legal_adviser", "analyst", "service"},
    "idva": {"idva", "manager", "analyst", "service"},
}
"""Each agency's roles (journey.md section 3)."""

DEV_KEY_NAME = "dev-signing.key"
MIN_KEY_LENGTH = {"HS256": 32, "HS384": 48, "HS512": 64}
"""Shortest signing key accepted outside dev mode: the algorithm's hash size (RFC 7518 section 3.2)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified claims of the bearer token."""

    sub: str
    agency: str
    role: str
    force: str | None = None
    team: str | None = None

    def is_(self, agency: str, *roles: str) -> bool:
        """True when the caller is of ``agency`` and (if given) one of ``roles``."""
        return self.agency == agency and (not roles or self.role in roles)


class AuthConfigError(RuntimeError):
    """The service was started with an unusable signing key."""


def dev_key_path(state_dir: Path) -> Path:
    """Where ``wja setup`` keeps the development signing key."""
    return state_dir / DEV_KEY_NAME


def ensure_dev_key(state_dir: Path) -> Path:
    """Create the development signing key if missing (mode 600); return its path."""
    path = dev_key_path(state_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path


def verification_keys(settings: ServiceSettings) -> tuple[str, ...]:
    """The keys tokens are verified with, the signing key first: the configured secret (a
    comma-separated list), the secret file, or (dev only) the dev key.

    Raises:
        AuthConfigError: no key, or (outside dev mode) the dev key or a key shorter than the
            algorithm's hash (32 characters for HS256, 48 for HS384, 64 for HS512; RFC 7518 3.2).
    """
    text = settings.jwt_secret
    if not text and settings.jwt_secret_file:
        text = settings.jwt_secret_file.read_text()
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    dev = dev_key_path(settings.state_dir)
    dev_key = dev.read_text().strip() if dev.exists() else None
    if not keys:
        if settings.env != "dev":
            msg = "WJA_JWT_SECRET (or WJA_JWT_SECRET_FILE) must be set outside dev mode"
            raise AuthConfigError(msg)
        keys = (dev_key or ensure_dev_key(settings.state_dir).read_text().strip(),)
    shortest = MIN_KEY_LENGTH[settings.jwt_algorithm]
    if settings.env != "dev" and any(k == dev_key or len(k) < shortest for k in keys):
        msg = (
            f"the dev signing key (or a key under {shortest} characters for {settings.jwt_algorithm})"
            " is refused outside dev mode"
        )
        raise AuthConfigError(msg)
    return keys


def signing_key(settings: ServiceSettings) -> str:
    """The key tokens are signed with: the first of :func:`verification_keys`."""
    return verification_keys(settings)[0]


def mint(
    key: str,
    *,
    sub: str,
    agency: str,
    role: str,
    force: str | None = None,
    team: str | None = None,
    ttl_seconds: int = 8 * 3600,
    algorithm: str = "HS256",
) -> str:
    """Sign a token (the ``wja token`` command and tests use this)."""
    if agency not in AGENCIES:
        msg = f"agency must be one of {sorted(AGENCIES)}"
        raise ValueError(msg)
    if role not in AGENCIES[agency]:
        msg = f"role of {agency} must be one of {sorted(AGENCIES[agency])}"
        raise ValueError(msg)
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "agency": agency,
        "role": role,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if force:
        claims["force"] = force
    if team:
        claims["team"] = team
    return jwt.encode(claims, key, algorithm=algorithm)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"})


def _decode(token: str, keys: Sequence[str], algorithm: str) -> dict[str, Any]:
    """The claims of a token signed by any of ``keys`` (the signature is checked before the claims)."""
    options: Options = {"require": ["sub", "agency", "role", "exp"]}
    for key in keys[:-1]:
        try:
            return jwt.decode(token, key, algorithms=[algorithm], options=options)
        except jwt.InvalidSignatureError:
            continue
    return jwt.decode(token, keys[-1], algorithms=[algorithm], options=options)


VERIFIED_KEPT = 4096
"""How many verified tokens :func:`verify` remembers (a caller sends the same token for hours)."""
_verified: dict[tuple[str, tuple[str, ...], str], tuple[Principal, float]] = {}


def verify(token: str, keys: str | Sequence[str], algorithm: str = "HS256") -> Principal:
    """Verify a token signed by ``keys`` (one, or any of several) and return its principal.

    A token verified once is remembered with its expiry, for the same keys and algorithm: the same token
    again is only checked for expiry (a keyed request verified its token twice, each a signature and two
    JSON documents: about 5 % of intake's CPU, issue 20). Only an exact, already verified token string hits;
    anything else, a tampered copy included, is verified in full. At most :data:`VERIFIED_KEPT` are kept.

    Raises:
        HTTPException: 401 on any fault.
    """
    key_set = (keys,) if isinstance(keys, str) else tuple(keys)
    remembered = _verified.get((token, key_set, algorithm))
    if remembered is not None:
        if remembered[1] > time.time():
            return remembered[0]
        del _verified[(token, key_set, algorithm)]
        raise _unauthorized("token expired")
    caller = _verify(token, key_set, algorithm)
    if len(_verified) >= VERIFIED_KEPT:
        del _verified[next(iter(_verified))]  # the oldest
    _verified[(token, key_set, algorithm)] = caller
    return caller[0]


def _verify(token: str, keys: Sequence[str], algorithm: str) -> tuple[Principal, float]:
    """The principal of a token, and when it expires (the epoch second)."""
    try:
        claims = _decode(token, keys, algorithm)
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise _unauthorized("invalid token") from exc
    agency, role = claims.get("agency"), claims.get("role")
    if agency not in AGENCIES or role not in AGENCIES[agency]:
        raise _unauthorized("token names an unknown agency or role")
    caller = Principal(
        sub=str(claims["sub"]),
        agency=agency,
        role=role,
        force=claims.get("force"),
        team=claims.get("team"),
    )
    return caller, float(claims["exp"])


SECURITY_SCHEME = "bearerAuth"
"""The name of the bearer-JWT security scheme in every service's OpenAPI document."""

bearer = HTTPBearer(
    scheme_name=SECURITY_SCHEME,
    bearerFormat="JWT",
    description="A JWT (HS256 by default) with claims sub, agency (police, cps, court, idva), role, exp, "
    "and optional force and team; `wja token` mints one for the embedded stack.",
    auto_error=False,
)
"""Reads the ``Authorization: Bearer`` header; as a dependency it also declares the scheme and a
``security`` requirement on every operation that needs a token, in the OpenAPI document."""


async def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """FastAPI dependency: the verified caller (401 when the token is missing or invalid).

    ``async`` though it awaits nothing: FastAPI runs a plain ``def`` dependency in a worker thread, a
    hand-over to another thread and back on every request; checking a token takes microseconds.
    """
    if credentials is None or not credentials.credentials.strip():
        raise _unauthorized("a bearer token is required")
    app_state = request.app.state
    return verify(credentials.credentials.strip(), app_state.jwt_keys, app_state.jwt_algorithm)


Caller = Annotated[Principal, Depends(principal)]


def require(*allowed: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: allow ``agency`` or ``agency:role`` entries; 403 for everyone else.

    ``require("police", "idva:manager")`` lets police staff and systems in (every police role but
    ``analyst``, which is for insights only and must be named) and IDVA managers.
    """
    rules = [a.split(":", 1) for a in allowed]

    async def check(caller: Caller) -> Principal:  # async: no worker thread (see principal)
        for rule in rules:
            if caller.agency != rule[0]:
                continue
            if (len(rule) == 1 and caller.role != "analyst") or (len(rule) == 2 and caller.role == rule[1]):
                return caller
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="not allowed for your agency or role")

    return check


def allowed_names(entries: Iterable[str]) -> str:
    """Human-readable list of the agencies/roles a route admits (for docs)."""
    return ", ".join(entries)
