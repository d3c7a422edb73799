"""Key rotation on a real PostgreSQL: rows re-wrapped under the new first key, data untouched."""

from __future__ import annotations

import base64
import secrets

import pytest
from wja_platform import db
from wja_platform.crypto import Keyring, Sealed, rewrap_rows

pytestmark = pytest.mark.integration


def key(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


async def test_rows_are_rewrapped_under_the_new_key_and_still_open(stack):
    old, new, lost = key("k1"), key("k2"), key("k0")
    pool = await db.create_pool(stack.new_database("crypto"))
    try:
        await pool.execute(
            "CREATE TABLE sealed (urn text PRIMARY KEY, key_id text, wrapped_key bytea, ciphertext bytea)"
        )
        before = Keyring.parse(old)
        values = {f"01YE{i:05d}26": {"phone": f"07700 900{i:03d}"} for i in range(7)}
        sealed = [(urn, before.seal(value, aad=urn)) for urn, value in values.items()]
        sealed.append(("01YE99999926", Keyring.parse(lost).seal({"phone": "x"}, aad="01YE99999926")))  # key gone
        for urn, s in sealed:
            await pool.execute("INSERT INTO sealed VALUES ($1,$2,$3,$4)", urn, s.key_id, s.wrapped_key, s.ciphertext)
        ciphertexts = dict(await pool.fetch("SELECT urn, ciphertext FROM sealed"))

        rotated = Keyring.parse(f"{new},{old}")  # the new key first; the old one still opens
        assert await rewrap_rows(pool, rotated, "sealed", batch=3) == {"rewrapped": 7, "unknown_key": 1}
        assert await rewrap_rows(pool, rotated, "sealed") == {"rewrapped": 0, "unknown_key": 1}

        only_new = Keyring.parse(new)  # the old key retired
        rows = await pool.fetch("SELECT * FROM sealed WHERE urn <> '01YE99999926'")
        assert {r["key_id"] for r in rows} == {"k2"}
        for r in rows:
            assert r["ciphertext"] == ciphertexts[r["urn"]]
            row = Sealed(r["key_id"], r["wrapped_key"], r["ciphertext"])
            assert only_new.open(row, aad=r["urn"]) == values[r["urn"]]
    finally:
        await pool.close()
