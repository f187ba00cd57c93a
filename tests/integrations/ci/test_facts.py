"""Query facts from CI data: failing pipelines per issue (latest build per pipeline) and the
issues whose latest deployment to an environment matches, within one organization."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.integrations.ci.facts import failing_build_counts, issues_deployed_to
from tests.integrations.ci.test_panel import build, deployment
from tests.support import OrgHandle


def rows(database_url: str, query: Any) -> list[tuple]:
    async def run() -> list[tuple]:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work(write=False) as session:
                return sorted(tuple(row) for row in (await session.execute(query)).all())
        finally:
            await database.dispose()
    return asyncio.run(run())


def test_failing_counts_and_deployed_environments(client: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                  database_url: str, ci_headers: dict,
                                                  issue_keys: list[str]) -> None:
    first, second, third = issue_keys
    builds = [build(first, "web", 1, "failed", 1), build(first, "web", 2, "successful", 2),
              build(first, "api", 7, "failed", 3), build(second, "mobile", 1, "failed", 1),
              build(second, "docs", 4, "failed", 4), build(third, "web", 2, "successful", 2)]
    assert client.post("/rest/builds/0.1/bulk", json={"builds": builds}, headers=ci_headers).status_code == 202
    deployments = [deployment(first, "prod", "production", 1, "failed", 1),
                   deployment(first, "prod", "production", 2, "successful", 3),
                   deployment(second, "prod", "production", 5, "rolled_back", 2),
                   deployment(third, "qa", "testing", 1, "successful", 1)]
    assert client.post("/rest/deployments/0.1/bulk", json={"deployments": deployments},
                       headers=ci_headers).status_code == 202
    ids = {key: client.get(f"/v2/issues/{key}", headers=org.headers).json()["id"] for key in issue_keys}
    # first: web's latest (#2) passed, api's failed; second: mobile #1 and docs #4 failed; third: none.
    assert rows(database_url, failing_build_counts(org.organization_id)) == sorted(
        [(ids[first], 1), (ids[second], 2)])
    production = issues_deployed_to(org.organization_id, environment_type="production")
    assert rows(database_url, production) == sorted([(ids[first],), (ids[second],)])
    shipped = issues_deployed_to(org.organization_id, environment_type="production", state="successful")
    assert rows(database_url, shipped) == [(ids[first],)]
    assert rows(database_url, issues_deployed_to(org.organization_id, environment_name="QA")) == [(ids[third],)]
    assert rows(database_url, failing_build_counts(other_org.organization_id)) == []
    assert rows(database_url, issues_deployed_to(other_org.organization_id)) == []
