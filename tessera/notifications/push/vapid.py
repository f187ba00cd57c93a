"""The server's VAPID identity (RFC 8292): a P-256 key pair. Browsers subscribe with the public
key (`applicationServerKey`), and every push request carries a JWT signed with the private key,
so a push service accepts messages for a subscription only from the server it was made for.

Keys are written the way browsers and pywebpush take them: the private key as the base64url of
its 32-byte scalar, the public key as the base64url of its 65-byte uncompressed point."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from tessera.config import Settings

TOKEN_LIFETIME = 12 * 3600  # seconds; RFC 8292 allows at most 24 hours
RENEW_BEFORE = 3600  # a cached token is replaced an hour before it expires


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKeys:
    private_key: str
    public_key: str


def generate_vapid_keys() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    return VapidKeys(private_key=b64url(key.private_numbers().private_value.to_bytes(32, "big")),
                     public_key=public_key_of(key))


def public_key_of(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint))


class VapidSigner:
    """Signs the Authorization header for one push service origin at a time; a token is reused
    for that origin until shortly before it expires (signing every message would cost an ECDSA
    signature each)."""

    def __init__(self, private_key: str, subject: str) -> None:
        self._vapid = Vapid02.from_string(private_key)
        self.public_key = public_key_of(self._vapid.private_key)
        self.subject = subject
        self._tokens: dict[str, tuple[float, str]] = {}

    def authorization(self, endpoint: str, *, now: float | None = None) -> str:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        moment = time.time() if now is None else now
        cached = self._tokens.get(audience)
        if cached is not None and cached[0] - RENEW_BEFORE > moment:
            return cached[1]
        expires = int(moment) + TOKEN_LIFETIME
        header = self._vapid.sign({"aud": audience, "exp": expires, "sub": self.subject})["Authorization"]
        self._tokens[audience] = (expires, header)
        return header


def signer_for(settings: Settings) -> VapidSigner | None:
    """None when Web Push is not configured (no private key)."""
    if not settings.vapid_private_key:
        return None
    return VapidSigner(settings.vapid_private_key, settings.vapid_subject)


def public_key_for(settings: Settings) -> str | None:
    """What browsers subscribe with: the configured public key, else the private key's own."""
    if settings.vapid_public_key:
        return settings.vapid_public_key
    signer = signer_for(settings)
    return signer.public_key if signer is not None else None
