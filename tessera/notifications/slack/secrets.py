"""Interim secret box for the Slack webhook URLs, with the signature of
`tessera.crypto.secret_box` (`encrypt(settings, text) -> str`, `decrypt(settings, token) -> str`)
that the webhooks work adds: when that module is on main, tessera.notifications.slack.service
imports it instead and this file goes (one import line). Fernet (AES-128-CBC + HMAC-SHA256)
under a key derived from the server's secret key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from tessera.config import Settings


def _fernet(settings: Settings) -> Fernet:
    key = hashlib.sha256(f"tessera-secret-box:{settings.secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(settings: Settings, text: str) -> str:
    return _fernet(settings).encrypt(text.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    """ValueError when the token was not made with this server's key."""
    try:
        return _fernet(settings).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("the stored secret cannot be decrypted with the current key") from error
