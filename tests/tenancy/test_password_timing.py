"""No user enumeration by timing: an unknown email costs one Argon2 verification (of a dummy
hash), as a wrong password does, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from argon2 import PasswordHasher

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import NotAuthenticated
from tessera.tenancy import secrets
from tessera.tenancy.auth import authenticate_password
from tests.support import make_org


def test_an_unknown_email_costs_what_a_wrong_password_costs(database_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    verified: list[str] = []

    class Counting(PasswordHasher):  # the real parameters, counting what it verifies
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(secrets, "_hasher", Counting())
    secrets._dummy_hash.cache_clear()
    secrets._dummy_hash()  # made once per process, not on the clock
    org = make_org(database_url)  # its password hashed at the real cost too

    async def attempt(email: str) -> float:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                started = time.perf_counter()
                with pytest.raises(NotAuthenticated):
                    await authenticate_password(session, email, "not the password", guard=None)
                return time.perf_counter() - started
        finally:
            await database.dispose()

    unknown = [asyncio.run(attempt(f"nobody{index}@{org.key.lower()}.test")) for index in range(3)]
    assert len(verified) == 3 and all(h.startswith("$argon2") for h in verified)  # the dummy hash
    verified.clear()
    wrong = [asyncio.run(attempt(org.admin_email)) for _ in range(3)]
    assert len(verified) == 3
    # Wide bounds: the suite runs tests in parallel on small machines. Without the dummy hash an
    # unknown email costs a lookup (~1 ms) against Argon2's ~50 ms: a ratio near 0.02.
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.2 < ratio < 5, (unknown, wrong)
