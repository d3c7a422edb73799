"""Verified tokens are remembered (wja_platform.auth.verify): only the exact token, with the same keys,
until it expires."""

from __future__ import annotations

import time

import pytest
from fastapi import HTTPException
from wja_platform import auth

KEY = "k" * 32
OTHER = "o" * 32


def token(ttl: int = 3600, sub: str = "officer-1") -> str:
    return auth.mint(KEY, sub=sub, agency="police", role="officer", force="01", ttl_seconds=ttl)


def test_the_same_token_again_is_not_verified_again(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    decoded: list[str] = []
    real = auth._decode
    monkeypatch.setattr(auth, "_decode", lambda t, k, a: decoded.append(t) or real(t, k, a))
    t = token(sub="officer-twice")
    first, second = auth.verify(t, KEY), auth.verify(t, KEY)
    assert first == second == auth.Principal(sub="officer-twice", agency="police", role="officer", force="01")
    assert decoded == [t]


def test_a_remembered_token_expires(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    t = token(ttl=60, sub="officer-expiring")
    auth.verify(t, KEY)
    later = time.time() + 61
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(HTTPException) as refused:
        auth.verify(t, KEY)
    assert (refused.value.status_code, refused.value.detail) == (401, "token expired")


def test_a_tampered_copy_or_other_keys_are_verified_in_full() -> None:
    t = token(sub="officer-tampered")
    auth.verify(t, KEY)
    head, payload, signature = t.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    for bad, keys in ((tampered, KEY), (t, OTHER), (t, [OTHER])):
        with pytest.raises(HTTPException) as refused:
            auth.verify(bad, keys)
        assert refused.value.status_code == 401


def test_at_most_so_many_are_remembered(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(auth, "VERIFIED_KEPT", 3)
    monkeypatch.setattr(auth, "_verified", {})
    tokens = [token(sub=f"officer-{i}") for i in range(5)]
    for t in tokens:
        auth.verify(t, KEY)
    assert [k[0] for k in auth._verified] == tokens[2:]  # the oldest went first
