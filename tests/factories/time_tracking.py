"""Issues with estimates, and their time tracking values and history items, through /v2."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle

API = "/rest/api/2"
HOUR = 3600


def times_of(client: TestClient, org: OrgHandle, key: str) -> tuple:
    issue = ok(client.get(f"/v2/issues/{key}", headers=org.headers))
    return issue["original_estimate"], issue["remaining_estimate"], issue["time_spent"]


def time_history(client: TestClient, org: OrgHandle, key: str) -> list[tuple]:
    issue = ok(client.get(f"/v2/issues/{key}", params={"expand": "changelog"}, headers=org.headers))
    return [(item["field_id"], item["from"], item["to"]) for group in issue["changelog"] for item in group["items"]
            if item["field_id"] in ("timeoriginalestimate", "timeestimate", "timespent")]


def new_estimated_issue(client: TestClient, org: OrgHandle, project: dict, **fields: object) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "task",
                                               "summary": "Tracked", **fields}, headers=org.headers), 201)
