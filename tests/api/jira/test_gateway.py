"""The OAuth flow of CI tools written for Atlassian's API gateway (HighwayThree's GitHub Actions,
the Jenkins plugin), against Tessera: the site's cloud id, client credentials exchanged for a
bearer token, then the bulk post under /jira/builds/0.1/cloud/{cloudId}."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle, make_user


def _issue_key(client: TestClient, org: OrgHandle, project: dict) -> str:
    response = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": "Ship it"}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()["key"]


def test_a_gateway_client_posts_a_build_with_a_ci_token(client: TestClient, org: OrgHandle, project: dict) -> None:
    key = _issue_key(client, org, project)
    secret = client.post("/v2/myself/tokens", json={"name": "actions", "scope": "ci"},
                         headers=org.headers).json()["api_token"]
    cloud_id = client.get("/_edge/tenant_info").json()["cloudId"]
    assert client.get("/_edge/tenant_info").json()["cloudId"] == cloud_id  # stable
    token = client.post("/oauth/token", json={"audience": "api.atlassian.com", "grant_type": "client_credentials",
                                              "client_id": "github-actions", "client_secret": secret})
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "Bearer"
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    body = {"builds": [{"schemaVersion": "1.0", "pipelineId": "acme/web CI", "buildNumber": "3",
                        "updateSequenceNumber": "1003", "displayName": "Workflow: CI (#3)",
                        "url": "https://github.com/acme/web/actions/runs/1003", "state": "successful",
                        "lastUpdated": "2025-03-04T05:06:07Z", "issueKeys": [key]}]}
    posted = client.post(f"/jira/builds/0.1/cloud/{cloud_id}/bulk", json=body, headers=bearer)
    assert posted.status_code == 202, posted.text
    assert posted.json()["acceptedBuilds"] == [{"pipelineId": "acme/web CI", "buildNumber": 3}]
    read = client.get(f"/jira/builds/0.1/cloud/{cloud_id}/pipelines/acme%2Fweb%20CI/builds/3", headers=bearer)
    assert read.json()["state"] == "successful"
    wrong = client.post("/jira/builds/0.1/cloud/not-this-site/bulk", json=body, headers=bearer)
    assert wrong.status_code == 404 and isinstance(wrong.json(), list)
    bad = client.post(f"/jira/deployments/0.1/cloud/{cloud_id}/bulk", json={"deployments": []}, headers=bearer)
    assert bad.status_code == 400 and "'deployments'" in bad.json()[0]["message"]


def test_the_token_exchange_refuses_what_may_not_post(client: TestClient, org: OrgHandle,
                                                      database_url: str) -> None:
    grant = {"grant_type": "client_credentials", "client_id": "x"}
    unknown = client.post("/oauth/token", json={**grant, "client_secret": "tsr_not-a-token"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "access_denied"
    member = make_user(database_url, org, role="member")
    refused = client.post("/oauth/token", json={**grant, "client_secret": member.token})
    assert refused.status_code == 403 and "access_token" not in refused.json()
    wrong_grant = client.post("/oauth/token", json={"grant_type": "password", "client_secret": org.token})
    assert wrong_grant.status_code == 400 and wrong_grant.json()["error"] == "unsupported_grant_type"
    admin = client.post("/oauth/token", data={**grant, "client_secret": org.token})  # a form works too
    assert admin.status_code == 200 and admin.json()["access_token"] == org.token
