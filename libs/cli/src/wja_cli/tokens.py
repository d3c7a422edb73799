"""`wja token`: mint a bearer token signed with the dev key that set-up created."""

from __future__ import annotations

import re

from wja_platform import auth

from wja_cli import config

_TTL = re.compile(r"^(\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """``8h``, ``30m``, ``3600`` → seconds."""
    match = _TTL.match(text.strip())
    if not match:
        msg = f"--ttl must look like 8h, 30m or 3600, not {text!r}"
        raise ValueError(msg)
    return int(match.group(1)) * _UNITS[match.group(2)]


def dev_key() -> str:
    """The dev signing key (created if missing)."""
    return auth.ensure_dev_key(config.state_dir()).read_text().strip()


def mint(agency: str, role: str, sub: str, force: str | None = None, team: str | None = None, ttl: str = "8h") -> str:
    """A token the embedded stack accepts."""
    return auth.mint(dev_key(), sub=sub, agency=agency, role=role, force=force, team=team, ttl_seconds=parse_ttl(ttl))


def service_headers(agency: str = "police") -> dict[str, str]:
    """Headers for an operator call to a service's ``/admin`` endpoints."""
    return {"Authorization": f"Bearer {mint(agency, 'service', 'wja-cli', ttl='5m')}"}
