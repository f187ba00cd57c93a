"""Passwords hashed with Argon2 and checked with exactly one verification whatever is stored;
API tokens and opaque secrets random and unguessable, stored only as their SHA-256."""

from __future__ import annotations

import hashlib

from tessera.tenancy.secrets import (
    TOKEN_PREFIX,
    digest,
    hash_password,
    new_api_token,
    new_opaque_secret,
    verify_password,
)


def test_a_password_verifies_against_its_own_hash_only() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2") and "correct horse battery" not in stored
    assert stored != hash_password("correct horse battery")  # salted
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse battery ")
    assert not verify_password(stored, "")


def test_no_hash_or_a_broken_one_never_verifies() -> None:
    for missing in (None, ""):
        assert not verify_password(missing, "")
        assert not verify_password(missing, "anything")
    assert not verify_password("not an argon2 hash", "anything")
    assert not verify_password(hash_password("x")[:-8], "x")


def test_tokens_and_secrets_are_new_each_time_and_stored_as_digests() -> None:
    tokens = {new_api_token() for _ in range(50)}
    assert len(tokens) == 50 and all(t.startswith(TOKEN_PREFIX) and len(t) > len(TOKEN_PREFIX) + 40 for t in tokens)
    secrets = {new_opaque_secret() for _ in range(50)}
    assert len(secrets) == 50 and not any(s.startswith(TOKEN_PREFIX) for s in secrets)
    token = next(iter(tokens))
    assert digest(token) == hashlib.sha256(token.encode()).hexdigest() and len(digest(token)) == 64
    assert digest("é") == hashlib.sha256("é".encode()).hexdigest()
