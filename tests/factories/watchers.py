"""Issues and their watchers through /v2 for the watcher tests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle


def new_issue(client: TestClient, org: OrgHandle, project: dict, **fields: object) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": "Watch me", **fields}, headers=org.headers), 201)


def watchers(client: TestClient, headers: dict, issue: dict) -> dict:
    return ok(client.get(f"/v2/issues/{issue['id']}/watchers", headers=headers))


def watcher_ids(client: TestClient, headers: dict, issue: dict) -> set[int]:
    return {w["id"] for w in watchers(client, headers, issue)["watchers"]}
