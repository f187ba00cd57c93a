"""The search world (tests/factories/search_world.py), made once per test module and backend."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.search_world import World, build_world


@pytest.fixture(scope="module")
def world(client: TestClient, database_url: str) -> World:
    return build_world(client, database_url)
