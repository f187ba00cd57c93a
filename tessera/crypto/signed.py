"""Signed values for links that act without a session (one-click unsubscribe, and the like):
a compact JSON payload with an HMAC-SHA256 over it and a purpose, keyed by the server's secret
key. Not encrypted: never put a secret in the payload.

Where that is too long or case is lost on the way (a mail address's local part: at most 64
octets, and relays may fold case), `sign_numbers` makes a short token of a few integers instead:
lower-case base32 of their varints and a truncated HMAC under the same key derivation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


class BadSignature(ValueError):
    """The token was altered, made for another purpose, or has expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret_key: str, purpose: str) -> bytes:
    return hashlib.sha256(f"tessera-signed:{purpose}:{secret_key}".encode()).digest()


def _mac(secret_key: str, purpose: str, body: str) -> str:
    return _b64(hmac.new(_key(secret_key, purpose), body.encode(), hashlib.sha256).digest())


def sign(secret_key: str, purpose: str, payload: dict[str, Any], *, max_age_seconds: int | None = None) -> str:
    """A URL-safe token carrying `payload`, valid only for `purpose` (and until `max_age_seconds` from now)."""
    data = dict(payload)
    if max_age_seconds is not None:
        data["exp"] = int(time.time()) + max_age_seconds
    body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret_key, purpose, body)}"


def verify(secret_key: str, purpose: str, token: str) -> dict[str, Any]:
    """The payload of a token `sign` made for this purpose; BadSignature otherwise."""
    body, _, mac = token.partition(".")
    if not body or not mac or not hmac.compare_digest(mac, _mac(secret_key, purpose, body)):
        raise BadSignature("the link is not valid")
    try:
        data = json.loads(_unb64(body))
    except ValueError as error:
        raise BadSignature("the link is not valid") from error
    if not isinstance(data, dict):
        raise BadSignature("the link is not valid")
    if "exp" in data and int(data["exp"]) < time.time():
        raise BadSignature("the link has expired")
    data.pop("exp", None)
    return data


# 8 bytes: a forger must guess 2^64 values, each guess costing a message (they are checked online).
NUMBERS_MAC_BYTES = 8
_MAX_NUMBER = 2**63 - 1


def _varint(number: int) -> bytes:
    """LEB128: seven bits a byte, low first, the high bit set on all but the last."""
    if not 0 <= number <= _MAX_NUMBER:
        raise ValueError(f"{number} cannot be signed as a number")
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _numbers_mac(secret_key: str, purpose: str, body: bytes, context: tuple[int | str, ...]) -> bytes:
    # The context is signed but not carried: the receiver knows it (an organization named elsewhere).
    bound = json.dumps(list(context), separators=(",", ":")).encode() + b"\0" + body
    return hmac.new(_key(secret_key, purpose), bound, hashlib.sha256).digest()[:NUMBERS_MAC_BYTES]


def sign_numbers(secret_key: str, purpose: str, numbers: tuple[int, ...], *,
                 context: tuple[int | str, ...] = ()) -> str:
    """A short token of lower-case letters and digits 2-7 carrying `numbers` (non-negative), valid
    only for `purpose` and `context`. Two numbers under 2^21 make 26 characters. No expiry: the
    token names something; it must grant nothing by itself."""
    body = b"".join(_varint(number) for number in numbers)
    return base64.b32encode(body + _numbers_mac(secret_key, purpose, body, context)).decode().rstrip("=").lower()


def verify_numbers(secret_keys: tuple[str, ...], purpose: str, token: str, *, count: int,
                   context: tuple[int | str, ...] = ()) -> tuple[int, ...]:
    """The `count` numbers of a token `sign_numbers` made under one of `secret_keys` (the current
    key first, then earlier ones still honoured) for this purpose and context; BadSignature
    otherwise. Case does not matter."""
    text = token.strip().upper()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError as error:
        raise BadSignature("the token is not valid") from error
    # Only the one spelling sign_numbers makes: the last letter of base32 carries unused bits,
    # which decoding ignores, so without this a changed last letter could still verify.
    if base64.b32encode(raw).decode().rstrip("=") != text:
        raise BadSignature("the token is not valid")
    numbers: list[int] = []
    at = 0
    while len(numbers) < count:
        value = shift = 0
        while True:
            if at >= len(raw) or shift > 63:
                raise BadSignature("the token is not valid")
            byte = raw[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        numbers.append(value)
    body, mac = raw[:at], raw[at:]
    if len(mac) != NUMBERS_MAC_BYTES or not any(
            hmac.compare_digest(mac, _numbers_mac(key, purpose, body, context)) for key in secret_keys):
        raise BadSignature("the token is not valid")
    return tuple(numbers)
