"""A token scoped to CI posts builds and deployments and can do nothing else, on any transport:
not read or change issues, not mint itself a full token, not open GraphQL or a live stream."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.support import OrgHandle


@pytest.fixture
def ci_token(client: TestClient, org: OrgHandle) -> str:
    response = client.post("/v2/myself/tokens", json={"name": "Jenkins", "scope": "ci"}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()["api_token"]


def test_a_ci_token_is_refused_everywhere_but_builds_and_deployments(client: TestClient, org: OrgHandle,
                                                                    project: dict, ci_token: str) -> None:
    bearer = {"Authorization": f"Bearer {ci_token}"}
    issue = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "x"},
                        headers=org.headers).json()
    for method, url, body in (("GET", "/v2/myself", None), ("GET", f"/v2/issues/{issue['id']}", None),
                              ("PUT", f"/v2/issues/{issue['id']}", {"summary": "changed by CI"}),
                              ("POST", "/v2/myself/tokens", {"name": "escalate"}),
                              ("GET", "/v2/myself/tokens", None), ("POST", "/v2/live/tickets", None),
                              ("POST", "/v2/search", {"jql": ""}), ("GET", "/rest/api/2/myself", None),
                              ("GET", f"/rest/api/2/issue/{issue['key']}", None),
                              ("POST", "/graphql", {"query": "{ viewer { email } }"})):
        response = client.request(method, url, json=body, headers=bearer)
        assert response.status_code == 403, (method, url, response.text)
        assert org.admin_email not in response.text and "summary" not in response.text
    # The same token as Basic email:token is refused alike.
    basic = client.get("/v2/myself", auth=(org.admin_email, ci_token))
    assert basic.status_code == 403 and basic.json()["error"]["code"] == "token_scope"
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(f"/v2/issues/{issue['id']}/live",
                                                                      headers=bearer) as ws:
        ws.receive_json()
    unchanged = client.get(f"/v2/issues/{issue['id']}", headers=org.headers).json()
    assert unchanged["summary"] == "x"
    tokens = client.get("/v2/myself/tokens", headers=org.headers).json()["tokens"]
    assert [t["scope"] for t in tokens if t["name"] in ("Jenkins", "escalate")] == ["ci"]
    # What it is for still works.
    posted = client.post("/v2/builds", headers=bearer, json={
        "pipeline": "p", "number": 1, "name": "n", "state": "failed", "url": "https://ci.test/1",
        "issue_keys": [issue["key"]]})
    assert posted.status_code == 202, posted.text


def test_an_unknown_scope_is_refused_naming_the_field(client: TestClient, org: OrgHandle) -> None:
    response = client.post("/v2/myself/tokens", json={"name": "x", "scope": "everything"}, headers=org.headers)
    assert response.status_code == 422 and response.json()["error"]["field"] == "scope"
