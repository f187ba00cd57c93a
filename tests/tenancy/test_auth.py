"""Authentication, roles, private projects, rate limits and quotas through the /v2 API."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support import (
    OrgHandle,
    UserHandle,
    fetch_rows,
    make_org,
    make_user,
    set_limits,
    unique_key,
)


def basic(email: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{secret}".encode()).decode()}


def assert_401(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.fixture
def session_client(client: TestClient) -> Iterator[TestClient]:
    """The shared client with an empty cookie jar, emptied again afterwards."""
    client.cookies.clear()
    yield client
    client.cookies.clear()


def test_bearer_basic_token_and_basic_password(client: TestClient, org: OrgHandle) -> None:
    for headers in ({"Authorization": f"Bearer {org.token}"}, basic(org.admin_email, org.token),
                    basic(org.admin_email.upper(), org.token), basic(org.admin_email, org.admin_password)):
        response = client.get("/v2/myself", headers=headers)
        assert response.status_code == 200, (headers, response.text)
        assert response.json()["id"] == org.admin_user_id
        assert response.json()["organization_key"] == org.key


def test_wrong_credentials_answer_401_json(client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    cases = [
        {},
        {"Authorization": "Bearer tsr_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Bearer {org.token}x"},
        {"Authorization": "Token abc"},
        {"Authorization": "Basic !!!not-base64!!!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        basic(org.admin_email, "wrong password"),
        basic(org.admin_email, "tsr_wrongtoken"),
        basic(other_org.admin_email, org.token),  # a real token, but not this email's
        basic("nobody@nowhere.test", org.admin_password),
    ]
    for headers in cases:
        assert_401(client.get("/v2/myself", headers=headers))
        assert_401(client.post("/v2/projects", json={"key": "NOPE", "name": "x"}, headers=headers))


def test_revoked_token_stops_working(client: TestClient, org: OrgHandle) -> None:
    created = client.post("/v2/myself/tokens", json={"name": "ci"}, headers=org.headers)
    assert created.status_code == 201, created.text
    token = created.json()["api_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v2/myself", headers=headers).status_code == 200
    [listed] = [t for t in client.get("/v2/myself/tokens", headers=org.headers).json()["tokens"] if t["name"] == "ci"]
    assert token.startswith(listed["prefix"]) and token != listed["prefix"]
    assert client.delete(f"/v2/myself/tokens/{listed['id']}", headers=org.headers).status_code == 204
    assert_401(client.get("/v2/myself", headers=headers))
    assert_401(client.get("/v2/myself", headers=basic(org.admin_email, token)))
    assert client.get("/v2/myself", headers=org.headers).status_code == 200


def test_a_deactivated_user_is_locked_out(client: TestClient, database_url: str, org: OrgHandle) -> None:
    user = make_user(database_url, org, role="member", password="member password 1")
    assert client.get("/v2/myself", headers=user.headers).status_code == 200
    response = client.put(f"/v2/users/{user.user_id}", json={"active": False}, headers=org.headers)
    assert response.status_code == 200, response.text
    assert_401(client.get("/v2/myself", headers=user.headers))
    assert_401(client.get("/v2/myself", headers=basic(user.email, "member password 1")))


def test_secrets_are_stored_hashed(client: TestClient, database_url: str, org: OrgHandle,
                                   session_client: TestClient) -> None:
    extra = client.post("/v2/myself/tokens", json={"name": "extra"}, headers=org.headers).json()["api_token"]
    login = session_client.post("/v2/session", json={"email": org.admin_email, "password": org.admin_password})
    assert login.status_code == 200, login.text
    cookie = session_client.cookies.get("tessera_session")
    assert cookie
    tokens = fetch_rows(database_url, "SELECT * FROM api_tokens WHERE organization_id = :org",
                        {"org": org.organization_id})
    assert len(tokens) >= 2
    stored = " ".join(str(value) for row in tokens for value in row.values())
    for token in (org.token, extra):
        assert token not in stored
        assert token[len("tsr_"):] not in stored
    assert all(len(row["token_hash"]) == 64 for row in tokens)
    [user] = fetch_rows(database_url, "SELECT * FROM users WHERE id = :id", {"id": org.admin_user_id})
    assert user["password_hash"].startswith("$argon2id$")
    assert org.admin_password not in " ".join(str(value) for value in user.values())
    sessions = fetch_rows(database_url, "SELECT * FROM web_sessions WHERE user_id = :id", {"id": org.admin_user_id})
    assert sessions and cookie not in " ".join(str(value) for row in sessions for value in row.values())


def test_cookie_session_needs_csrf_for_changes_and_logs_out(session_client: TestClient, org: OrgHandle) -> None:
    client = session_client
    bad = client.post("/v2/session", json={"email": org.admin_email, "password": "wrong password"})
    assert_401(bad)
    assert "tessera_session" not in client.cookies
    login = client.post("/v2/session", json={"email": org.admin_email, "password": org.admin_password,
                                             "organization": org.key})
    assert login.status_code == 200, login.text
    assert "httponly" in login.headers["set-cookie"].lower()
    csrf = login.json()["csrf_token"]
    assert csrf and login.json()["user_id"] == org.admin_user_id
    cookie = client.cookies.get("tessera_session")
    assert client.get("/v2/myself").json()["id"] == org.admin_user_id
    body = {"key": unique_key("C")[:10], "name": "Cookie project"}
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        refused = client.post("/v2/projects", json=body, headers=headers)
        assert refused.status_code == 403, refused.text
    assert client.get(f"/v2/projects/{body['key']}").status_code == 404
    created = client.post("/v2/projects", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    assert client.delete("/v2/session").status_code == 204
    client.cookies.clear()
    assert_401(client.get("/v2/myself"))
    # The old cookie is dead on the server, not just forgotten by the browser.
    client.cookies.set("tessera_session", cookie)
    assert_401(client.get("/v2/myself"))


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


def test_rate_limit_answers_429_with_retry_after(client: TestClient, database_url: str) -> None:
    limited, neighbour = make_org(database_url), make_org(database_url)
    set_limits(database_url, limited.key, requests_per_minute=5)
    statuses = []
    for _ in range(12):
        response = client.get("/v2/myself", headers=limited.headers)
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    # Five per window; a window may roll over once during the loop.
    assert 5 <= statuses.count(200) <= 10, statuses
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "rate_limited"
    again = client.post("/v2/projects", json={"key": "RATE", "name": "x"}, headers=limited.headers)
    assert again.status_code == 429 and "Retry-After" in again.headers
    assert client.get("/v2/projects/RATE", headers=neighbour.headers).status_code == 404
    assert all(client.get("/v2/myself", headers=neighbour.headers).status_code == 200 for _ in range(6))


def test_max_users_quota_refuses_new_users(client: TestClient, database_url: str) -> None:
    small = make_org(database_url)
    set_limits(database_url, small.key, max_users=2)
    first = client.post("/v2/users", json={"email": "one@small.test", "name": "One"}, headers=small.headers)
    assert first.status_code == 201, first.text
    refused = client.post("/v2/users", json={"email": "two@small.test", "name": "Two"}, headers=small.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "quota_exceeded"
    users = client.get("/v2/users", headers=small.headers).json()
    assert users["total"] == 2 and "two@small.test" not in {u["email"] for u in users["users"]}
    with pytest.raises(Exception, match="limit of 2 users"):
        make_user(database_url, small)


def test_cached_actors_follow_role_name_and_catalog_changes_at_once(client: TestClient, org: OrgHandle,
                                                                     project: dict, member: UserHandle) -> None:
    """Each request below follows a request with the same token, so it would find a cached actor:
    the change committed in between must be seen at once (tenancy.auth.PrincipalCache)."""
    flow = {"name": "Cached", "statuses": [{"name": "Open", "category": "todo"}], "initial_status": "Open",
            "transitions": []}
    assert client.post("/v2/workflows", json=flow, headers=member.headers).status_code == 403
    promoted = client.put(f"/v2/users/{member.user_id}", json={"role": "admin"}, headers=org.headers)
    assert promoted.status_code == 200, promoted.text
    created = client.post("/v2/workflows", json=flow, headers=member.headers)
    assert created.status_code == 201, created.text
    # The new workflow bumped the catalog: an issue may use it at once.
    issue = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "In it",
                                            "workflow_id": created.json()["id"]}, headers=member.headers)
    assert issue.status_code == 201, issue.text
    assert issue.json()["status"]["name"] == "Open"
    demoted = client.put(f"/v2/users/{member.user_id}", json={"role": "member", "name": "Renamed Member"},
                         headers=org.headers)
    assert demoted.status_code == 200, demoted.text
    assert client.post("/v2/workflows", json={**flow, "name": "Again"}, headers=member.headers).status_code == 403
    again = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "Mine"},
                        headers=member.headers)
    assert again.status_code == 201, again.text
    assert again.json()["reporter"]["display_name"] == "Renamed Member"
