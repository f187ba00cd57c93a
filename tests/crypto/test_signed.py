"""Signed tokens: round trip, tampering, another purpose, expiry."""

from __future__ import annotations

import pytest

from tessera.crypto.signed import BadSignature, sign, verify


def test_a_token_carries_its_payload_for_its_purpose() -> None:
    token = sign("k1", "unsubscribe", {"user": 7, "channel": "email"})
    assert verify("k1", "unsubscribe", token) == {"user": 7, "channel": "email"}


@pytest.mark.parametrize("secret, purpose", [("k2", "unsubscribe"), ("k1", "other")])
def test_another_key_or_purpose_is_refused(secret: str, purpose: str) -> None:
    token = sign("k1", "unsubscribe", {"user": 7})
    with pytest.raises(BadSignature):
        verify(secret, purpose, token)


def test_a_changed_payload_is_refused() -> None:
    body, mac = sign("k1", "unsubscribe", {"user": 7}).split(".")
    forged = sign("k1", "unsubscribe", {"user": 8}).split(".")[0]
    with pytest.raises(BadSignature):
        verify("k1", "unsubscribe", f"{forged}.{mac}")
    for broken in ("", ".", "abc", f"{body}.", f".{mac}", "!!!.???"):
        with pytest.raises(BadSignature):
            verify("k1", "unsubscribe", broken)


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(BadSignature, match="expired"):
        verify("k1", "p", sign("k1", "p", {"a": 1}, max_age_seconds=-1))
    assert verify("k1", "p", sign("k1", "p", {"a": 1}, max_age_seconds=60)) == {"a": 1}
