"""Secrets Tessera must read back (a webhook's signing secret), stored encrypted.

The key is derived from `Settings.secret_key` with HKDF (a purpose label in `info`, so the same
server key used for signed links never doubles as an encryption key), and used with Fernet
(AES-128-CBC + HMAC-SHA256, with a timestamp). A MultiFernet over the current and the previous
keys (`previous_secret_keys`) decrypts values written under any of them and always encrypts under
the current one, so an operator rotates the server key first and re-encrypts at leisure
(`tessera rotate-secrets`)."""

from __future__ import annotations

import base64
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tessera.config import Settings

_INFO = b"tessera:secret-box:v1"


class UnreadableSecret(ValueError):
    """A stored secret that none of the server's keys decrypts (altered, or its key is gone)."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    def __init__(self, secret_key: str, previous_keys: Iterable[str] = ()) -> None:
        self._current = _fernet(secret_key)
        self._all = MultiFernet([self._current, *(_fernet(key) for key in previous_keys if key)])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(settings.secret_key, settings.previous_secret_keys)

    def encrypt(self, plaintext: str) -> str:
        return self._current.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError):
            raise UnreadableSecret("the stored secret cannot be decrypted with the server's keys") from None

    def rotate(self, token: str) -> str:
        """The same secret encrypted under the current key (unchanged plaintext)."""
        try:
            return self._all.rotate(token.encode()).decode()
        except (InvalidToken, ValueError):
            raise UnreadableSecret("the stored secret cannot be decrypted with the server's keys") from None

    def is_current(self, token: str) -> bool:
        try:
            self._current.decrypt(token.encode())
        except (InvalidToken, ValueError):
            return False
        return True
