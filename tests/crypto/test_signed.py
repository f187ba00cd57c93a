"""Signed tokens: round trip, tampering, another purpose, expiry; the short numbers tokens of reply addresses."""

from __future__ import annotations

import base64

import pytest

from tessera.crypto.signed import NUMBERS_MAC_BYTES, BadSignature, sign, sign_numbers, verify, verify_numbers


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


def test_a_numbers_token_is_short_lower_case_and_round_trips_in_any_case() -> None:
    token = sign_numbers("k1", "mail-reply", (1_234_567, 42), context=(9,))
    assert token == token.lower() and token.isalnum() and len(token) <= 26
    assert verify_numbers(("k1",), "mail-reply", token, count=2, context=(9,)) == (1_234_567, 42)
    assert verify_numbers(("k1",), "mail-reply", token.upper(), count=2, context=(9,)) == (1_234_567, 42)
    # An earlier key still honoured verifies; the context, purpose and key are all signed.
    assert verify_numbers(("k0", "k1"), "mail-reply", token, count=2, context=(9,)) == (1_234_567, 42)
    for keys, purpose, context in ((("k2",), "mail-reply", (9,)), (("k1",), "other", (9,)),
                                   (("k1",), "mail-reply", (10,))):
        with pytest.raises(BadSignature):
            verify_numbers(keys, purpose, token, count=2, context=context)


def test_a_changed_or_malformed_numbers_token_is_refused() -> None:
    token = sign_numbers("k1", "p", (5, 6))
    raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    forged = base64.b32encode(bytes([7]) + raw[1:]).decode().rstrip("=").lower()  # issue 7, the old MAC
    for bad in (forged, token[:-2], token + "aa", "", "1!", "a" * 16,
                sign_numbers("k1", "p", (5,)),  # one number where two are read: the MAC is short
                base64.b32encode(b"\xff" * 12 + b"\0" * NUMBERS_MAC_BYTES).decode().rstrip("=")):  # a varint past 63 bits
        with pytest.raises(BadSignature):
            verify_numbers(("k1",), "p", bad, count=2)
    with pytest.raises(ValueError):
        sign_numbers("k1", "p", (-1,))


@pytest.mark.parametrize("numbers", [(1, 2), (761, 4093), (2**20, 3), (123456, 654321)])
def test_every_other_last_letter_is_refused(numbers: tuple[int, int]) -> None:
    """The last base32 letter carries bits decoding ignores: a token with another last letter
    is another spelling of the same bytes, and must not verify (reply addresses were forged so)."""
    token = sign_numbers("k1", "p", numbers)
    for letter in "abcdefghijklmnopqrstuvwxyz234567":
        if letter != token[-1]:
            with pytest.raises(BadSignature):
                verify_numbers(("k1",), "p", token[:-1] + letter, count=2)
    assert verify_numbers(("k1",), "p", token.upper(), count=2) == numbers
