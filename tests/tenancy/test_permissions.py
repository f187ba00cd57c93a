"""Roles and project access through the /v2 API: what viewers, members and administrators may do,
and a private project that is missing until a role in it is granted."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import (
    OrgHandle,
    UserHandle,
    unique_key,
)


def test_roles_viewer_member_admin(client: TestClient, org: OrgHandle, project: dict, member: UserHandle,
                                  viewer: UserHandle) -> None:
    issue_body = {"project_id": project["id"], "issue_type": "Task", "summary": "Role check"}
    assert client.get(f"/v2/projects/{project['id']}", headers=viewer.headers).status_code == 200
    assert client.get("/v2/users", headers=viewer.headers).status_code == 200
    refused = client.post("/v2/issues", json=issue_body, headers=viewer.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "permission_denied"
    created = client.post("/v2/issues", json=issue_body, headers=member.headers)
    assert created.status_code == 201, created.text
    assert client.get(f"/v2/issues/{created.json()['key']}", headers=viewer.headers).status_code == 200
    assert client.put(f"/v2/issues/{created.json()['id']}", json={"summary": "viewer edit"},
                      headers=viewer.headers).status_code == 403
    new_project = {"key": unique_key("R")[:10], "name": "Not yours"}
    new_user = {"email": f"{unique_key().lower()}@example.test", "name": "Someone"}
    for user in (member, viewer):
        assert client.post("/v2/projects", json=new_project, headers=user.headers).status_code == 403
        assert client.post("/v2/users", json=new_user, headers=user.headers).status_code == 403
        assert client.put(f"/v2/users/{user.user_id}", json={"role": "admin"}, headers=user.headers).status_code == 403
    assert client.post("/v2/projects", json=new_project, headers=org.headers).status_code == 201
    assert client.post("/v2/users", json=new_user, headers=org.headers).status_code == 201
    count = client.get(f"/v2/projects/{project['id']}", headers=org.headers).json()["issue_count_estimate"]
    assert count == 1


def test_private_project_is_missing_until_a_role_is_granted(client: TestClient, org: OrgHandle,
                                                            member: UserHandle) -> None:
    key = unique_key("P")[:10]
    project = client.post("/v2/projects", json={"key": key, "name": "Hidden", "access": "private"},
                          headers=org.headers)
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    issue = client.post("/v2/issues", json={"project_id": pid, "issue_type": "Task", "summary": "Hidden work"},
                        headers=org.headers).json()
    missing_project = client.get("/v2/projects/999999999999", headers=member.headers)
    missing_issue = client.get("/v2/issues/999999999999", headers=member.headers)
    for url in (f"/v2/projects/{pid}", f"/v2/projects/{key}"):
        response = client.get(url, headers=member.headers)
        assert response.status_code == 404 and response.json() == missing_project.json()
    for ref in (issue["id"], issue["key"]):
        response = client.get(f"/v2/issues/{ref}", headers=member.headers)
        assert response.status_code == 404 and response.json() == missing_issue.json()
    listed = client.get("/v2/projects", headers=member.headers).json()["projects"]
    assert pid not in {p["id"] for p in listed}
    refused = client.post("/v2/issues", json={"project_id": pid, "issue_type": "Task", "summary": "x"},
                          headers=member.headers)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "project_id"
    granted = client.put(f"/v2/projects/{pid}/roles/developers", json={"user_ids": [member.user_id]},
                         headers=org.headers)
    assert granted.status_code == 200, granted.text
    assert granted.json()["user_ids"] == [member.user_id]
    assert client.get(f"/v2/projects/{key}", headers=member.headers).status_code == 200
    assert client.get(f"/v2/issues/{issue['key']}", headers=member.headers).status_code == 200
    assert pid in {p["id"] for p in client.get("/v2/projects", headers=member.headers).json()["projects"]}
    created = client.post("/v2/issues", json={"project_id": pid, "issue_type": "Task", "summary": "Now mine"},
                          headers=member.headers)
    assert created.status_code == 201, created.text
    revoked = client.put(f"/v2/projects/{pid}/roles/developers", json={"user_ids": []}, headers=org.headers)
    assert revoked.status_code == 200
    assert client.get(f"/v2/issues/{issue['key']}", headers=member.headers).status_code == 404
