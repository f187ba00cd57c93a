"""The development panel's builds and deployments of an issue: the latest build of each
pipeline and the latest deployment to each environment, newest first, with what a page shows."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.integrations.ci.panel import builds_and_deployments
from tests.support import OrgHandle


def panel(database_url: str, organization_id: int, issue_id: int) -> dict[str, list]:
    async def read() -> dict[str, list]:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work(write=False) as session:
                return await builds_and_deployments(session, organization_id=organization_id, issue_id=issue_id)
        finally:
            await database.dispose()
    return asyncio.run(read())


def build(key: str, pipeline: str, number: int, state: str, minute: int) -> dict:
    return {"pipelineId": pipeline, "buildNumber": number, "updateSequenceNumber": minute,
            "displayName": f"{pipeline} #{number}", "url": f"https://ci.example.test/{pipeline}/{number}",
            "state": state, "lastUpdated": f"2025-01-01T10:{minute:02d}:00Z", "issueKeys": [key]}


def deployment(key: str, environment: str, kind: str, number: int, state: str, minute: int) -> dict:
    return {"deploymentSequenceNumber": number, "updateSequenceNumber": minute, "issueKeys": [key],
            "displayName": f"web {number}", "description": "", "url": f"https://ci.example.test/d/{number}",
            "lastUpdated": f"2025-01-01T11:{minute:02d}:00Z", "state": state,
            "pipeline": {"id": "web-deploy", "displayName": "Deploy web", "url": "https://ci.example.test/p"},
            "environment": {"id": environment, "displayName": environment.title(), "type": kind}}


def test_latest_per_pipeline_and_environment_newest_first(client: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                          database_url: str,
                                                          ci_headers: dict, issue_keys: list[str]) -> None:
    key, other = issue_keys[0], issue_keys[1]
    builds = [build(key, "web", 1, "failed", 1), build(key, "web", 2, "successful", 5),
              build(key, "api", 7, "failed", 3), build(other, "docs", 1, "successful", 9)]
    assert client.post("/rest/builds/0.1/bulk", json={"builds": builds}, headers=ci_headers).status_code == 202
    deployments = [deployment(key, "staging", "staging", 1, "successful", 1),
                   deployment(key, "production", "production", 1, "failed", 2),
                   deployment(key, "production", "production", 2, "successful", 4)]
    response = client.post("/rest/deployments/0.1/bulk", json={"deployments": deployments}, headers=ci_headers)
    assert response.status_code == 202 and not response.json()["rejectedDeployments"], response.text
    issue_id = client.get(f"/v2/issues/{key}", headers=org.headers).json()["id"]
    shown = panel(database_url, org.organization_id, issue_id)
    assert [(b["pipeline_id"], b["build_number"], b["state"]) for b in shown["builds"]] == [
        ("web", 2, "successful"), ("api", 7, "failed")]
    assert shown["builds"][0]["url"] == "https://ci.example.test/web/2"
    assert shown["builds"][0]["name"] == "web #2" and shown["builds"][0]["last_updated"] == "2025-01-01T10:05:00Z"
    assert [(d["environment"]["id"], d["deployment_sequence_number"], d["state"]) for d in shown["deployments"]] == [
        ("production", 2, "successful"), ("staging", 1, "successful")]
    assert shown["deployments"][0]["environment"] == {"id": "production", "name": "Production", "type": "production"}
    assert shown["deployments"][0]["pipeline"]["url"] == "https://ci.example.test/p"
    # Another organization asking about the same issue id sees nothing.
    assert panel(database_url, other_org.organization_id, issue_id) == {"builds": [], "deployments": []}
