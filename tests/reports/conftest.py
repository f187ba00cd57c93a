"""One dated world per backend, shared by the report tests (it is only read)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.dated_world import DatedWorld, build_dated_world
from tests.support import OrgHandle, make_org


@pytest.fixture(scope="module")
def dated_org(client: TestClient, database_url: str) -> OrgHandle:
    return make_org(database_url)


@pytest.fixture(scope="module")
def dated(client: TestClient, database_url: str, dated_org: OrgHandle) -> DatedWorld:
    return build_dated_world(client, database_url, dated_org)
