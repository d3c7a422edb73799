"""The pseudonym key: its own secret, never derived from the data key, required outside dev mode."""

from __future__ import annotations

import stat

import pytest
from wja_platform.crypto import DEV_DATA_KEY, DEV_PSEUDONYM_KEY, Keyring, pseudonym_key


def test_dev_mode_makes_one_key_of_its_own_and_keeps_it(tmp_path):
    Keyring.from_settings("", None, tmp_path, "dev")  # the dev data key exists too
    first = pseudonym_key("", None, tmp_path, "dev")
    assert len(first) >= 32 and pseudonym_key("", None, tmp_path, "dev") == first
    assert first not in (tmp_path / DEV_DATA_KEY).read_bytes()
    assert stat.S_IMODE((tmp_path / DEV_PSEUDONYM_KEY).stat().st_mode) == 0o600
    (tmp_path / DEV_DATA_KEY).unlink()  # a new data key (a rotation) does not touch it
    Keyring.from_settings("", None, tmp_path, "dev")
    assert pseudonym_key("", None, tmp_path, "dev") == first


def test_a_configured_key_or_file_wins_and_outside_dev_one_is_required(tmp_path):
    assert pseudonym_key("configured", None, tmp_path, "prod") == b"configured"
    (tmp_path / "pk").write_text("from-a-file\n")
    assert pseudonym_key("", tmp_path / "pk", tmp_path, "prod") == b"from-a-file"
    with pytest.raises(ValueError, match="PSEUDONYM_KEY"):
        pseudonym_key("", None, tmp_path, "prod")
    assert not (tmp_path / DEV_PSEUDONYM_KEY).exists()
