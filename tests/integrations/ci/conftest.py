"""A project with issues, and a CI-scoped token made the way an administrator makes one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import OrgHandle


@pytest.fixture
def ci_headers(client: TestClient, org: OrgHandle) -> dict[str, str]:
    response = client.post("/v2/myself/tokens", json={"name": "Jenkins", "scope": "ci"}, headers=org.headers)
    assert response.status_code == 201, response.text
    assert response.json()["scope"] == "ci"
    return {"Authorization": f"Bearer {response.json()['api_token']}"}


@pytest.fixture
def issue_keys(client: TestClient, org: OrgHandle, project: dict) -> list[str]:
    keys = []
    for summary in ("Login fails", "Logout fails", "Profile page"):
        response = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                   "summary": summary}, headers=org.headers)
        assert response.status_code == 201, response.text
        keys.append(response.json()["key"])
    return keys
