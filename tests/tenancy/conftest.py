"""Fixtures of the tenancy tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from tessera.tenancy import secrets


@pytest.fixture(scope="module")
def cheap_hashes() -> Iterator[None]:
    """Argon2 at its cheapest for a module of many sign-ins (a hash carries its parameters, so
    passwords hashed meanwhile verify as cheaply); test_password_timing.py keeps the real cost."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(secrets, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        secrets._dummy_hash.cache_clear()
        yield
    secrets._dummy_hash.cache_clear()
