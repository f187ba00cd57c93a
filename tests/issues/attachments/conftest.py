"""One server per test module (tests/factories/attachments.py), two organizations and an issue of A's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.main import create_app
from tests.factories.attachments import LIMIT, Server, create_issue, create_project
from tests.support import (
    OrgHandle,
    make_org,
)


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("attachment-objects")
    settings = Settings(database_url=database_url, base_url="http://testserver", attachments_dir=str(root),
                        attachment_max_bytes=LIMIT)
    with TestClient(create_app(settings)) as client:
        yield Server(client, root, database_url)


@pytest.fixture
def a(database_url: str) -> OrgHandle:
    return make_org(database_url, password=None)


@pytest.fixture
def b(database_url: str) -> OrgHandle:
    return make_org(database_url, password=None)


@pytest.fixture
def issue(server: Server, a: OrgHandle) -> dict:
    return create_issue(server.client, a, create_project(server.client, a))
