"""What a live subscriber follows, resolved once for the /v2/.../live WebSocket and GraphQL
subscriptions (tessera.edge.live.resolve_live_scope)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.edge.live import LiveKind, resolve_live_scope
from tessera.errors import NotFound
from tessera.live.registry import Scope
from tessera.tenancy.auth import authenticate_token
from tests.support import OrgHandle


def resolve(database_url: str, org: OrgHandle, kind: LiveKind, ref: str) -> Scope:
    async def run() -> Scope:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work(write=False) as session:
                actor = await authenticate_token(session, org.token, touch=False)
            return await resolve_live_scope(database, actor, kind=kind, ref=ref)
        finally:
            await database.dispose()

    return asyncio.run(run())


def test_an_issue_and_a_project_by_id_or_key(client: TestClient, database_url: str, org: OrgHandle,
                                            project: dict) -> None:
    response = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "Live"},
                           headers=org.headers)
    assert response.status_code == 201, response.text
    issue = response.json()
    for ref in (str(issue["id"]), issue["key"]):
        assert resolve(database_url, org, "issue", ref) == Scope(
            kind="issue", organization_id=org.organization_id, project_id=project["id"], issue_id=issue["id"])
    for ref in (str(project["id"]), project["key"]):
        assert resolve(database_url, org, "project", ref) == Scope(
            kind="project", organization_id=org.organization_id, project_id=project["id"])


def test_another_organizations_project_is_not_found(database_url: str, org: OrgHandle, other_org: OrgHandle,
                                                    project: dict) -> None:
    with pytest.raises(NotFound):
        resolve(database_url, other_org, "project", str(project["id"]))
