"""Create the secrets docker-compose.yml needs, under deploy/secrets/ (never committed).

    python3 deploy/make_secrets.py                           # create what is missing
    python3 deploy/make_secrets.py --rotate intake_data_key  # new data key first, old ones kept

Standard library only (run it with any Python 3.11+). An existing file is never overwritten:
losing a data key loses every row it sealed. See deploy/secrets/README.md and docs/runbook.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

SECRETS_DIR = Path(__file__).resolve().parent / "secrets"
SERVICES = ("intake", "charging", "court", "support", "insights")
DATA_KEYS = ("intake_data_key", "support_data_key")
"""Key-encryption keyrings of the services that hold victim contact details."""
ENV_FILE = "compose.env"
PSEUDONYM_KEY = "pseudonym_key"
"""Intake's victim_ref key: its own secret, never rotated (a new key would change every victim_ref)."""


def _token(nbytes: int) -> str:
    """URL-safe (A-Z a-z 0-9 - _): usable in a database URL and an env file as is."""
    return secrets.token_urlsafe(nbytes)


def new_data_key() -> str:
    """One keyring entry, ``<id>:<base64url 32-byte key>``; the id names the key in each row."""
    kid = f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"  # dated, and unique within a day
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def compose_env() -> str:
    """Variables docker-compose.yml interpolates: the database passwords."""
    lines = [
        "# docker compose --env-file deploy/secrets/compose.env ...  (generated; never commit)",
        f"POSTGRES_PASSWORD={_token(24)}",
        *(f"WJA_{s.upper()}_DB_PASSWORD={_token(24)}" for s in SERVICES),
    ]
    return "\n".join(lines) + "\n"


def pseudonym_key(directory: Path) -> str:
    """A new pseudonym key, or the one an older compose.env held as ``WJA_PSEUDONYM_KEY`` (kept, so that
    the victim_ref values of existing cases stay what they were)."""
    env = directory / ENV_FILE
    if env.is_file():
        for line in env.read_text().splitlines():
            name, _, value = line.partition("=")
            if name.strip() == "WJA_PSEUDONYM_KEY" and value.strip():
                return value.strip() + "\n"
    return _token(32) + "\n"


def _write(path: Path, text: str, mode: int) -> None:
    path.write_text(text)
    path.chmod(mode)


def create(directory: Path) -> list[str]:
    """Create the missing secret files in ``directory``; return the names created.

    The files mounted into containers are 0444: the services run as uid 10001, which must read
    them, and the directory itself is 0700 so that no other user of the host can reach them.
    compose.env is read by the docker CLI only: 0600.
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    wanted = {
        "jwt_secret": (lambda: _token(48) + "\n", 0o444),
        **{name: (lambda: new_data_key() + "\n", 0o444) for name in DATA_KEYS},
        PSEUDONYM_KEY: (lambda: pseudonym_key(directory), 0o444),
        ENV_FILE: (compose_env, 0o600),
    }
    created = []
    for name, (make, mode) in wanted.items():
        path = directory / name
        if not path.exists():
            _write(path, make(), mode)
            created.append(name)
    return created


def _keys(path: Path) -> list[str]:
    """The keys of a secret file (a comma-separated list, the first in use); a message if it is missing."""
    if not path.is_file():
        msg = f"{path} does not exist: run `python3 deploy/make_secrets.py --dir {path.parent}` first"
        raise SystemExit(msg)
    return [k.strip() for k in path.read_text().split(",") if k.strip()]


def rotate(directory: Path, name: str) -> str:
    """Rotate one secret; return what the operator must do next.

    A data key: a new key goes first (it seals from now on) and the old ones stay (they still
    open the rows they sealed). The JWT secret: a new key goes first (it signs from now on) and
    the one before it stays (tokens it signed still verify) until :func:`retire`.
    """
    path = directory / name
    if name in DATA_KEYS:
        _write(path, ",".join([new_data_key(), *_keys(path)]) + "\n", 0o444)
        return f"restart the {name.removesuffix('_data_key')} service: it seals with the new key, opens with all"
    if name == "jwt_secret":
        _write(path, f"{_token(48)},{_keys(path)[0]}\n", 0o444)
        return (
            "restart each service, in any order (each accepts tokens of the new key and the old);"
            " after the longest token lifetime (8 h), run --retire jwt_secret and restart them again"
        )
    if name == PSEUDONYM_KEY:
        msg = "the pseudonym key is never rotated: every victim_ref would change (deploy/secrets/README.md)"
        raise SystemExit(msg)
    msg = f"cannot rotate {name}: one of jwt_secret, {', '.join(DATA_KEYS)}"
    raise SystemExit(msg)


def retire(directory: Path, name: str) -> str:
    """Drop the JWT secret's older keys: only the first (the one that signs) stays."""
    if name != "jwt_secret":
        msg = f"cannot retire {name}: data keys stay while any row is sealed with them (docs/runbook.md)"
        raise SystemExit(msg)
    path = directory / name
    _write(path, _keys(path)[0] + "\n", 0o444)
    return "restart each service: tokens signed with the older keys are refused from then on"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=SECRETS_DIR, help="default: deploy/secrets")
    parser.add_argument("--rotate", choices=("jwt_secret", *DATA_KEYS), help="rotate this secret")
    parser.add_argument("--retire", choices=("jwt_secret",), help="drop the older keys of this secret")
    args = parser.parse_args(argv)
    if args.rotate:
        sys.stdout.write(rotate(args.dir, args.rotate) + "\n")
        return 0
    if args.retire:
        sys.stdout.write(retire(args.dir, args.retire) + "\n")
        return 0
    created = create(args.dir)
    sys.stdout.write(f"created in {args.dir}: {', '.join(created)}\n" if created else f"{args.dir}: nothing missing\n")
    return 0


if __name__ == "__main__":
    os.umask(0o077)
    sys.exit(main())
