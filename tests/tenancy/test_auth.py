"""Authentication through the /v2 API: bearer tokens, Basic with a token or a password, 401s in
JSON, revoked tokens and deactivated users, secrets stored hashed, cookie sessions with CSRF, and
cached actors that follow changes at once."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support import (
    OrgHandle,
    UserHandle,
    fetch_rows,
    make_user,
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


def test_a_token_may_expire_and_a_user_may_set_a_time_zone(client: TestClient, org: OrgHandle) -> None:
    created = client.post("/v2/myself/tokens", json={"name": "quarterly", "expires_in_days": 90}, headers=org.headers)
    assert created.status_code == 201, created.text
    [listed] = [t for t in client.get("/v2/myself/tokens", headers=org.headers).json()["tokens"]
                if t["name"] == "quarterly"]
    assert listed["expires"] is not None and listed["expires"] > listed["created"]
    for bad in (0, 3651, "90"):
        refused = client.post("/v2/myself/tokens", json={"name": "x", "expires_in_days": bad}, headers=org.headers)
        assert refused.status_code in (400, 422) and "expires_in_days" in refused.text
    me = client.get("/v2/myself", headers=org.headers).json()
    changed = client.put(f"/v2/users/{me['id']}", json={"time_zone": "America/Sao_Paulo"}, headers=org.headers)
    assert changed.status_code == 200 and changed.json()["time_zone"] == "America/Sao_Paulo"
    refused = client.put(f"/v2/users/{me['id']}", json={"time_zone": "Nowhere/Land"}, headers=org.headers)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "time_zone"
    assert client.get("/v2/myself", headers=org.headers).json()["time_zone"] == "America/Sao_Paulo"


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
