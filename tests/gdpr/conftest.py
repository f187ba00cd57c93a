"""Organizations without passwords: Argon2 is slow on purpose, and no test here signs in with one."""

from __future__ import annotations

import pytest

from tests.support import OrgHandle, make_org


@pytest.fixture
def org(database_url: str) -> OrgHandle:
    return make_org(database_url, password=None)


@pytest.fixture
def other_org(database_url: str) -> OrgHandle:
    return make_org(database_url, password=None)
