"""Stored secrets: encrypted under a key derived from the server's secret key, readable under
a previous key after a rotation, never under an unrelated one."""

from __future__ import annotations

import pytest

from tessera.config import Settings
from tessera.crypto.secret_box import SecretBox, UnreadableSecret


def test_round_trip_and_no_plaintext() -> None:
    box = SecretBox("server key one")
    token = box.encrypt("whsec-123")
    assert "whsec-123" not in token and box.decrypt(token) == "whsec-123"
    assert box.encrypt("whsec-123") != token  # a fresh IV each time


def test_a_previous_key_still_decrypts_and_rotate_moves_to_the_current_one() -> None:
    old = SecretBox("old key")
    token = old.encrypt("s")
    new = SecretBox("new key", previous_keys=["old key"])
    assert new.decrypt(token) == "s" and not new.is_current(token)
    rotated = new.rotate(token)
    assert new.is_current(rotated) and SecretBox("new key").decrypt(rotated) == "s"
    with pytest.raises(UnreadableSecret):
        old.decrypt(rotated)


def test_an_unrelated_key_or_garbage_is_unreadable() -> None:
    token = SecretBox("a").encrypt("s")
    for box, value in ((SecretBox("b"), token), (SecretBox("a"), "not a token"), (SecretBox("a"), token[:-4])):
        with pytest.raises(UnreadableSecret):
            box.decrypt(value)


def test_previous_keys_come_from_the_environment() -> None:
    settings = Settings.from_env({"TESSERA_SECRET_KEY": "new", "TESSERA_PREVIOUS_SECRET_KEYS": "old1, old2,"})
    assert settings.previous_secret_keys == ("old1", "old2")
    token = SecretBox("old2").encrypt("x")
    assert SecretBox.from_settings(settings).decrypt(token) == "x"
