"""Each isolation test gets a new pair of organizations (tests/factories/isolation_world.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.isolation_world import World, build_isolation_world
from tests.support import OrgHandle


@pytest.fixture
def world(client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle) -> World:
    return build_isolation_world(client, database_url, org, other_org)
