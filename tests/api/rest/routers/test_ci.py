"""The plain /v2 form of CI status: /v2/builds and /v2/deployments, one report per request,
with the same storage and rules as Jira's bulk APIs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle, make_user


def _issue(client: TestClient, org: OrgHandle, project: dict) -> str:
    response = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Bug",
                                               "summary": "Checkout fails"}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()["key"]


def test_a_build_and_a_deployment_in_the_plain_form(client: TestClient, org: OrgHandle, project: dict) -> None:
    key = _issue(client, org, project)
    token = client.post("/v2/myself/tokens", json={"name": "gitlab", "scope": "ci"}, headers=org.headers).json()
    ci = {"Authorization": f"Bearer {token['api_token']}"}
    built = client.post("/v2/builds", headers=ci, json={
        "pipeline": "shop/backend", "number": 12, "name": "backend #12", "state": "in_progress",
        "url": "https://ci.example.test/shop/12", "issue_keys": [key.lower(), "ZZZ-1"], "update_sequence": 10,
        "tests": {"total": 3, "passed": 3, "failed": 0}, "commit": "abc123", "ref": "main",
        "repository_url": "https://git.example.test/shop"})
    assert built.status_code == 202, built.text
    answer = built.json()
    assert answer["stored"] is True and answer["unknown_issue_keys"] == ["ZZZ-1"] and answer["issue_keys"] == [key]
    assert answer["build"]["state"] == "in_progress"
    assert answer["build"]["test_info"] == {"totalNumber": 3, "numberPassed": 3, "numberFailed": 0}
    stale = client.post("/v2/builds", headers=ci, json={
        "pipeline": "shop/backend", "number": 12, "name": "backend #12", "state": "pending",
        "url": "https://ci.example.test/shop/12", "issue_keys": [key], "update_sequence": 9})
    assert stale.json()["stored"] is False and stale.json()["build"]["state"] == "in_progress"
    # Jira's API reads back what the plain form stored.
    jira = client.get("/rest/builds/0.1/pipelines/shop%2Fbackend/builds/12", headers=ci).json()
    assert (jira["state"], jira["updateSequenceNumber"]) == ("in_progress", 10)
    deployed = client.post("/v2/deployments", headers=ci, json={
        "pipeline": "shop deploy", "environment": "staging-1", "environment_type": "staging", "number": 3,
        "name": "shop 2.1", "state": "successful", "url": "https://ci.example.test/d/3", "issue_keys": [key],
        "last_updated": "2025-02-01T10:00:00+01:00"})
    assert deployed.status_code == 202, deployed.text
    deployment = deployed.json()["deployment"]
    assert deployment["environment"] == {"id": "staging-1", "name": "staging-1", "type": "staging"}
    assert deployment["last_updated"] == "2025-02-01T09:00:00Z"


def test_bad_bodies_name_the_field_and_only_admins_or_ci_tokens_post(client: TestClient, org: OrgHandle,
                                                                      project: dict, database_url: str) -> None:
    key = _issue(client, org, project)
    body = {"pipeline": "p", "number": 1, "name": "n", "state": "failed", "url": "https://ci.test/1",
            "issue_keys": [key]}
    for change, field in (({"state": "exploded"}, "state"), ({"number": "x"}, "number"),
                          ({"issue_keys": []}, "issue_keys"), ({"issue_keys": ["not a key"]}, "issue_keys.0")):
        response = client.post("/v2/builds", json={**body, **change}, headers=org.headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == field
    unknown = client.post("/v2/builds", json={**body, "issue_keys": ["NOPE-9"]}, headers=org.headers)
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "issue_keys"
    member = make_user(database_url, org, role="member")
    assert client.post("/v2/builds", json=body, headers=member.headers).status_code == 403
    assert client.post("/v2/builds", json=body, headers=org.headers).status_code == 202


def test_another_organization_cannot_read_or_overwrite(client: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                       project: dict) -> None:
    key = _issue(client, org, project)
    body = {"pipeline": "p", "number": 1, "name": "n", "state": "failed", "url": "https://ci.test/1",
            "issue_keys": [key], "update_sequence": 1}
    assert client.post("/v2/builds", json=body, headers=org.headers).status_code == 202
    hijack = client.post("/v2/builds", json={**body, "state": "successful", "update_sequence": 99},
                         headers=other_org.headers)
    assert hijack.status_code == 400
    assert client.get("/rest/builds/0.1/pipelines/p/builds/1", headers=other_org.headers).status_code == 404
    assert client.get("/rest/builds/0.1/pipelines/p/builds/1", headers=org.headers).json()["state"] == "failed"
