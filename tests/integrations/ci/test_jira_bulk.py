"""Jira Software's builds and deployments APIs as CI plugins call them: the reference's
examples and the bodies the GitHub Actions plugins (HighwayThree jira-upload-build-info and
jira-upload-deployment-info) send, whose numbers are strings; Jira's answers (202 with accepted,
rejected and unknown keys; 400 as an array naming the field); updateSequenceNumber ordering."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import OrgHandle, make_user

BUILDS = "/rest/builds/0.1/bulk"
DEPLOYMENTS = "/rest/deployments/0.1/bulk"


def reference_build(key: str, **changes: Any) -> dict[str, Any]:
    """Reference §3.2's example build."""
    return {"schemaVersion": "1.0", "pipelineId": "acme/web ci", "buildNumber": 42,
            "updateSequenceNumber": 1735689600000, "displayName": "CI #42", "url": "https://ci.example/42",
            "state": "failed", "lastUpdated": "2025-01-01T00:00:00Z", "issueKeys": [key],
            "testInfo": {"totalNumber": 10, "numberPassed": 9, "numberFailed": 1},
            "references": [{"commit": {"id": "9f2c0d1", "repositoryUri": "https://git.example/acme/web"},
                            "ref": {"name": f"feature/{key}",
                                    "uri": f"https://git.example/acme/web/tree/feature/{key}"}}],
            **changes}


def github_actions_build(keys: list[str]) -> dict[str, Any]:
    """What jira-upload-build-info posts: every input is a string, the keys a split list."""
    return {"builds": [{
        "schemaVersion": "1.0", "pipelineId": "acme/web CI", "buildNumber": "17", "updateSequenceNumber": "4711",
        "displayName": "Workflow: CI (#17)", "url": "https://github.com/acme/web/actions/runs/4711",
        "state": "successful", "lastUpdated": "2025-03-04T05:06:07Z", "issueKeys": keys,
        "references": [{"commit": {"id": "b1946ac92492d2347c6235b4d2611184",
                                   "repositoryUri": "https://github.com/acme/web/actions/runs/4711"},
                        "ref": {"name": "buildRef", "uri": "https://github.com/acme/web/actions/runs/4711"}}],
        "testInfo": {"totalNumber": "12", "numberPassed": "12", "numberFailed": "0", "numberSkipped": "0"}}]}


def github_actions_deployment(keys: list[str], **changes: Any) -> dict[str, Any]:
    """What jira-upload-deployment-info posts: strings, an empty label, the deprecated issueKeys."""
    return {"deployments": [{
        "schemaVersion": "1.0", "deploymentSequenceNumber": "4712", "updateSequenceNumber": "4712",
        "issueKeys": keys, "displayName": "web 1.4.0", "url": "https://github.com/acme/web/actions/runs/4712",
        "description": "", "lastUpdated": "2025-03-04T06:00:00Z", "label": "", "state": "successful",
        "pipeline": {"id": "acme/web Deploy", "displayName": "Workflow: Deploy (#9)",
                     "url": "https://github.com/acme/web/actions/runs/4712"},
        "environment": {"id": "prod-eu", "displayName": "Production EU", "type": "production"}, **changes}]}


def test_the_reference_build_is_accepted_stored_and_read_back(client: TestClient, ci_headers: dict,
                                                              issue_keys: list[str]) -> None:
    response = client.post(BUILDS, json={"builds": [reference_build(issue_keys[0])],
                                         "providerMetadata": {"product": "GitHub Actions"}}, headers=ci_headers)
    assert response.status_code == 202, response.text
    assert response.json() == {"acceptedBuilds": [{"pipelineId": "acme/web ci", "buildNumber": 42}],
                               "rejectedBuilds": [], "unknownIssueKeys": []}
    stored = client.get("/rest/builds/0.1/pipelines/acme%2Fweb%20ci/builds/42", headers=ci_headers)
    assert stored.status_code == 200, stored.text
    build = stored.json()
    assert (build["state"], build["updateSequenceNumber"], build["issueKeys"]) == (
        "failed", 1735689600000, [issue_keys[0]])
    assert build["testInfo"] == {"totalNumber": 10, "numberPassed": 9, "numberFailed": 1}
    assert build["references"][0]["ref"]["name"] == f"feature/{issue_keys[0]}"
    assert build["lastUpdated"] == "2025-01-01T00:00:00Z"


def test_github_actions_bodies_with_string_numbers_are_accepted(client: TestClient, ci_headers: dict,
                                                                issue_keys: list[str]) -> None:
    built = client.post(BUILDS, json=github_actions_build(issue_keys[:2]), headers=ci_headers)
    assert built.status_code == 202, built.text
    assert built.json()["acceptedBuilds"] == [{"pipelineId": "acme/web CI", "buildNumber": 17}]
    assert built.json()["rejectedBuilds"] == []
    deployed = client.post(DEPLOYMENTS, json=github_actions_deployment(issue_keys[:1]), headers=ci_headers)
    assert deployed.status_code == 202, deployed.text
    assert deployed.json() == {
        "acceptedDeployments": [{"pipelineId": "acme/web Deploy", "environmentId": "prod-eu",
                                 "deploymentSequenceNumber": 4712}],
        "rejectedDeployments": [], "unknownIssueKeys": [], "unknownAssociations": []}
    stored = client.get("/rest/deployments/0.1/pipelines/acme%2Fweb%20Deploy/environments/prod-eu/deployments/4712",
                        headers=ci_headers).json()
    assert stored["environment"] == {"id": "prod-eu", "displayName": "Production EU", "type": "production"}
    assert stored["state"] == "successful" and "label" not in stored


def test_the_reference_deployment_with_associations(client: TestClient, ci_headers: dict,
                                                    issue_keys: list[str]) -> None:
    body = {"deployments": [{
        "deploymentSequenceNumber": 17, "updateSequenceNumber": 1735689600000,
        "associations": [{"associationType": "issueKeys", "values": [issue_keys[0], issue_keys[1]]},
                         {"associationType": "commit", "values": [{"commitHash": "9f2c", "repositoryId": "7"}]}],
        "displayName": "web 1.4.0 to prod", "description": "Release 1.4.0", "url": "https://ci.example/d/17",
        "lastUpdated": "2025-01-01T00:05:00Z", "state": "successful",
        "pipeline": {"id": "web-deploy", "displayName": "Deploy web", "url": "https://ci.example/p/web"},
        "environment": {"id": "prod-eu", "displayName": "Production EU", "type": "production"}}]}
    response = client.post(DEPLOYMENTS, json=body, headers=ci_headers)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["acceptedDeployments"] == [{"pipelineId": "web-deploy", "environmentId": "prod-eu",
                                              "deploymentSequenceNumber": 17}]
    # Tessera links deployments to issues only: a commit association is reported back, not lost silently.
    assert answer["unknownAssociations"] == [{"associationType": "commit",
                                              "values": [{"commitHash": "9f2c", "repositoryId": "7"}]}]


def test_unknown_keys_are_reported_and_an_item_naming_only_unknown_keys_is_rejected(
        client: TestClient, ci_headers: dict, issue_keys: list[str]) -> None:
    body = {"builds": [reference_build(issue_keys[0], issueKeys=[issue_keys[0], "UTF-8"]),
                       reference_build("NOPE-1", buildNumber=43, issueKeys=["NOPE-1"])]}
    response = client.post(BUILDS, json=body, headers=ci_headers)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["acceptedBuilds"] == [{"pipelineId": "acme/web ci", "buildNumber": 42}]
    assert answer["unknownIssueKeys"] == ["UTF-8", "NOPE-1"]
    [rejected] = answer["rejectedBuilds"]
    assert rejected["key"] == {"pipelineId": "acme/web ci", "buildNumber": 43}
    assert "issue keys" in rejected["errors"][0]["message"]
    assert client.get("/rest/builds/0.1/pipelines/acme%2Fweb%20ci/builds/43", headers=ci_headers).status_code == 404


def test_a_bad_item_is_rejected_alone_naming_its_field(client: TestClient, ci_headers: dict,
                                                       issue_keys: list[str]) -> None:
    body = {"builds": [reference_build(issue_keys[0], buildNumber=41, state="exploded"),
                       reference_build(issue_keys[0], buildNumber=40, lastUpdated="yesterday"),
                       reference_build(issue_keys[0])]}
    answer = client.post(BUILDS, json=body, headers=ci_headers).json()
    assert answer["acceptedBuilds"] == [{"pipelineId": "acme/web ci", "buildNumber": 42}]
    messages = {r["key"]["buildNumber"]: r["errors"][0]["message"] for r in answer["rejectedBuilds"]}
    assert "'state' is not valid" in messages[41]
    assert "'lastUpdated'" in messages[40]


def test_a_malformed_request_is_a_400_array_naming_the_field(client: TestClient, ci_headers: dict) -> None:
    for body, field in (({"bulds": []}, "'builds'"), ({"builds": "x"}, "'builds'"),
                        ({"builds": [{}], "properties": {"_x": "y"}}, "'properties'")):
        response = client.post(BUILDS, json=body, headers=ci_headers)
        assert response.status_code == 400, response.text
        [error] = response.json()
        assert field in error["message"] and error["errorTraceId"]
    not_json = client.post(DEPLOYMENTS, content=b"{nope", headers={**ci_headers, "Content-Type": "application/json"})
    assert not_json.status_code == 400 and isinstance(not_json.json(), list)
    missing = client.get("/rest/builds/0.1/pipelines/none/builds/1", headers=ci_headers)
    assert missing.status_code == 404 and missing.json()[0]["message"] == "No build has this key."


def test_an_older_update_never_overwrites_a_newer_one(client: TestClient, ci_headers: dict,
                                                      issue_keys: list[str]) -> None:
    url = "/rest/builds/0.1/pipelines/acme%2Fweb%20ci/builds/42"
    newer = reference_build(issue_keys[0], updateSequenceNumber=200, state="successful")
    older = reference_build(issue_keys[1], updateSequenceNumber=100, state="in_progress")
    assert client.post(BUILDS, json={"builds": [newer]}, headers=ci_headers).status_code == 202
    late = client.post(BUILDS, json={"builds": [older]}, headers=ci_headers)
    # Dropped silently, yet counted as accepted (Jira's semantics).
    assert late.json()["acceptedBuilds"] == [{"pipelineId": "acme/web ci", "buildNumber": 42}]
    kept = client.get(url, headers=ci_headers).json()
    assert (kept["state"], kept["updateSequenceNumber"], kept["issueKeys"]) == ("successful", 200, [issue_keys[0]])
    equal = reference_build(issue_keys[1], updateSequenceNumber=200, state="failed")
    client.post(BUILDS, json={"builds": [equal]}, headers=ci_headers)
    assert client.get(url, headers=ci_headers).json()["state"] == "successful"
    newest = reference_build(issue_keys[1], updateSequenceNumber=300, state="failed")
    client.post(BUILDS, json={"builds": [newest]}, headers=ci_headers)
    assert client.get(url, headers=ci_headers).json()["issueKeys"] == [issue_keys[1]]


def test_delete_by_key_honours_the_update_sequence_number_and_by_properties(
        client: TestClient, ci_headers: dict, issue_keys: list[str]) -> None:
    url = "/rest/builds/0.1/pipelines/acme%2Fweb%20ci/builds/42"
    client.post(BUILDS, json={"builds": [reference_build(issue_keys[0], updateSequenceNumber=500)]},
                headers=ci_headers)
    assert client.delete(f"{url}?_updateSequenceNumber=499", headers=ci_headers).status_code == 202
    assert client.get(url, headers=ci_headers).status_code == 200  # newer than the delete: kept
    assert client.delete(url, headers=ci_headers).status_code == 202
    assert client.get(url, headers=ci_headers).status_code == 404
    tagged = {"builds": [reference_build(issue_keys[0], buildNumber=7)],
              "properties": {"accountId": "account-123", "repoId": "repo-345"}}
    client.post(BUILDS, json=tagged, headers=ci_headers)
    client.post(BUILDS, json={"builds": [reference_build(issue_keys[0], buildNumber=8)],
                              "properties": {"accountId": "account-999"}}, headers=ci_headers)
    gone = client.delete("/rest/builds/0.1/bulkByProperties?accountId=account-123&repoId=repo-345",
                         headers=ci_headers)
    assert gone.status_code == 202
    assert client.get("/rest/builds/0.1/pipelines/acme%2Fweb%20ci/builds/7", headers=ci_headers).status_code == 404
    assert client.get("/rest/builds/0.1/pipelines/acme%2Fweb%20ci/builds/8", headers=ci_headers).status_code == 200
    assert client.delete("/rest/builds/0.1/bulkByProperties", headers=ci_headers).status_code == 400
    deployment = "/rest/deployments/0.1/pipelines/acme%2Fweb%20Deploy/environments/prod-eu/deployments/4712"
    client.post(DEPLOYMENTS, json=github_actions_deployment(issue_keys[:1]), headers=ci_headers)
    assert client.delete(deployment, headers=ci_headers).status_code == 202
    assert client.get(deployment, headers=ci_headers).status_code == 404


def test_admin_tokens_and_ci_tokens_may_post_members_may_not(client: TestClient, org: OrgHandle,
                                                             database_url: str, issue_keys: list[str]) -> None:
    body = {"builds": [reference_build(issue_keys[0])]}
    assert client.post(BUILDS, json=body, headers=org.headers).status_code == 202
    member = make_user(database_url, org, role="member")
    refused = client.post(BUILDS, json=body, headers=member.headers)
    assert refused.status_code == 403 and "scoped to CI" in refused.json()[0]["message"]
    assert client.post(BUILDS, json=body).status_code == 401
    # Members cannot mint themselves a CI token either.
    minted = client.post("/v2/myself/tokens", json={"name": "ci", "scope": "ci"}, headers=member.headers)
    assert minted.status_code == 403, minted.text


def test_another_organization_sees_and_links_nothing(client: TestClient, ci_headers: dict, other_org: OrgHandle,
                                                     issue_keys: list[str]) -> None:
    client.post(BUILDS, json={"builds": [reference_build(issue_keys[0])]}, headers=ci_headers)
    url = "/rest/builds/0.1/pipelines/acme%2Fweb%20ci/builds/42"
    assert client.get(url, headers=other_org.headers).status_code == 404
    client.delete(url, headers=other_org.headers)
    assert client.get(url, headers=ci_headers).status_code == 200
    # B naming A's issue keys: unknown to B, so rejected, and nothing of A's changes.
    answer = client.post(BUILDS, json={"builds": [reference_build(issue_keys[0], state="cancelled",
                                                                  updateSequenceNumber=2**62)]},
                         headers=other_org.headers).json()
    assert answer["unknownIssueKeys"] == [issue_keys[0]] and answer["acceptedBuilds"] == []
    assert client.get(url, headers=ci_headers).json()["state"] == "failed"
