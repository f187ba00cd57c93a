"""An issue to discuss in the test's project."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle


@pytest.fixture
def issue(client: TestClient, org: OrgHandle, project: dict) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": "Discuss things"}, headers=org.headers), 201)
