"""Envelope encryption of personal data at rest (victim contact details).

Each row gets its own data key (AES-256-GCM), wrapped by a key-encryption key (KEK) named by
a key id. Settings give the KEKs as ``WJA_DATA_KEY`` = ``id1:base64key,id2:base64key`` (the
first encrypts; all decrypt), so keys rotate: add a new first key; the services holding
encrypted rows re-wrap them under it (:func:`rewrap_rows`, a background job); once no row
names the old key, retire it. In dev mode a key is generated under the state directory.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DEV_DATA_KEY = "dev-data.key"
DEV_PSEUDONYM_KEY = "dev-pseudonym.key"


@dataclass(frozen=True)
class Sealed:
    """An encrypted value as stored: the KEK id, the wrapped data key and the ciphertext."""

    key_id: str
    wrapped_key: bytes
    ciphertext: bytes


class Keyring:
    """Key-encryption keys by id; the first is used to seal."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            msg = "no data encryption key configured (WJA_DATA_KEY)"
            raise ValueError(msg)
        for kid, key in keys.items():
            if len(key) != 32:
                msg = f"data key {kid} must be 32 bytes"
                raise ValueError(msg)
        self.keys = keys
        self.primary = next(iter(keys))

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """From ``id:base64,id2:base64``."""
        keys: dict[str, bytes] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            kid, _, b64 = part.partition(":")
            keys[kid] = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        return cls(keys)

    @classmethod
    def from_settings(cls, data_key: str, data_key_file: Path | None, state_dir: Path, env: str) -> Keyring:
        """The configured keys; in dev mode, a generated key kept in the state directory."""
        spec = data_key or (data_key_file.read_text().strip() if data_key_file else "")
        if not spec:
            if env != "dev":
                msg = "WJA_DATA_KEY (or WJA_DATA_KEY_FILE) must be set outside dev mode"
                raise ValueError(msg)
            path = state_dir / DEV_DATA_KEY
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("dev1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
                path.chmod(0o600)
            spec = path.read_text().strip()
        return cls.parse(spec)

    def seal(self, value: dict[str, Any], aad: str) -> Sealed:
        """Encrypt a JSON-able value under a fresh data key, bound to ``aad`` (e.g. the URN)."""
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        ciphertext = nonce + AESGCM(data_key).encrypt(nonce, json.dumps(value).encode(), aad.encode())
        wrap_nonce = os.urandom(12)
        kek = AESGCM(self.keys[self.primary])
        wrapped = wrap_nonce + kek.encrypt(wrap_nonce, data_key, self.primary.encode())
        return Sealed(self.primary, wrapped, ciphertext)

    def open(self, sealed: Sealed, aad: str) -> dict[str, Any]:
        """Decrypt a sealed value (any known key id)."""
        kek = AESGCM(self.keys[sealed.key_id])
        data_key = kek.decrypt(sealed.wrapped_key[:12], sealed.wrapped_key[12:], sealed.key_id.encode())
        plain = AESGCM(data_key).decrypt(sealed.ciphertext[:12], sealed.ciphertext[12:], aad.encode())
        result: dict[str, Any] = json.loads(plain)
        return result

    def rewrap(self, sealed: Sealed) -> Sealed:
        """Wrap a row's data key with the primary KEK (key rotation; the data is not touched)."""
        kek = AESGCM(self.keys[sealed.key_id])
        data_key = kek.decrypt(sealed.wrapped_key[:12], sealed.wrapped_key[12:], sealed.key_id.encode())
        wrap_nonce = os.urandom(12)
        wrapped = wrap_nonce + AESGCM(self.keys[self.primary]).encrypt(wrap_nonce, data_key, self.primary.encode())
        return Sealed(self.primary, wrapped, sealed.ciphertext)


def pseudonym_key(setting: str, setting_file: Path | None, state_dir: Path, env: str) -> bytes:
    """The key of the pseudonyms (intake's victim_ref HMAC): a secret of its own, configured or, in dev
    mode, generated once under the state directory (``wja setup``).

    Never derived from a data key: data keys rotate (a new first key, rows re-wrapped), and a
    pseudonym must stay the same for the victim's later cases, or repeat victimisation is lost.
    """
    text = setting or (setting_file.read_text().strip() if setting_file else "")
    if not text:
        if env != "dev":
            msg = "INTAKE_PSEUDONYM_KEY (or INTAKE_PSEUDONYM_KEY_FILE) must be set outside dev mode"
            raise ValueError(msg)
        path = state_dir / DEV_PSEUDONYM_KEY
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        text = path.read_text().strip()
    return text.encode()


async def rewrap_rows(pool: asyncpg.Pool, keyring: Keyring, table: str, batch: int = 500) -> dict[str, int]:
    """Re-wrap the data keys of ``table``'s rows (``urn, key_id, wrapped_key``) that are not under the
    primary key; the ciphertext is not touched. Returns ``{"rewrapped": n, "unknown_key": m}``: rows
    under a key id the keyring no longer has cannot be opened and are left as they are."""
    done = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT urn, key_id, wrapped_key FROM {table}"
                " WHERE key_id <> $1 AND key_id = ANY($2::text[]) LIMIT $3 FOR UPDATE SKIP LOCKED",
                keyring.primary,
                list(keyring.keys),
                batch,
            )
            for row in rows:
                new = keyring.rewrap(Sealed(row["key_id"], row["wrapped_key"], b""))
                await conn.execute(
                    f"UPDATE {table} SET key_id = $2, wrapped_key = $3 WHERE urn = $1",
                    row["urn"],
                    new.key_id,
                    new.wrapped_key,
                )
        done += len(rows)
        if len(rows) < batch:
            break
    unknown = await pool.fetchval(
        f"SELECT count(*) FROM {table} WHERE NOT key_id = ANY($1::text[])",
        list(keyring.keys),
    )
    return {"rewrapped": done, "unknown_key": unknown}
