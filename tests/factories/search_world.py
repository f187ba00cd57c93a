"""A small dated dataset for the search tests, built once per backend through the API, with
dates then pinned in the database (the API stamps "now")."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.issues.models import ChangeGroup, ChangeItem, Issue
from tests.support import OrgHandle, UserHandle, make_org, make_user

NOW = datetime.now(UTC)
RECENT = NOW - timedelta(days=2)


@dataclass
class World:
    org: OrgHandle
    member: UserHandle
    outsider: UserHandle  # an org member who is in no private project
    other_org: OrgHandle
    keys: dict[str, str] = field(default_factory=dict)  # name → key
    ids: dict[str, int] = field(default_factory=dict)
    sprint_ids: dict[str, int] = field(default_factory=dict)
    database_url: str = ""

    def search(self, client: TestClient, jql: str, *, headers: dict | None = None, **body: object) -> dict:
        response = client.post("/v2/search", json={"jql": jql, "max_results": 1000, "fields": ["key"], **body},
                               headers=headers or self.org.headers)
        assert response.status_code == 200, (jql, response.text)
        return response.json()

    def names(self, client: TestClient, jql: str, **kwargs: object) -> list[str]:
        by_key = {key: name for name, key in self.keys.items()}
        return [by_key.get(issue["key"], issue["key"]) for issue in self.search(client, jql, **kwargs)["issues"]]

    def error(self, client: TestClient, jql: str, *, headers: dict | None = None) -> dict:
        response = client.post("/v2/search", json={"jql": jql}, headers=headers or self.org.headers)
        assert response.status_code == 400, (jql, response.text)
        return response.json()["error"]


async def _execute(database_url: str, statements: list) -> None:  # type: ignore[type-arg]
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            for statement in statements:
                await session.execute(statement)
    finally:
        await database.dispose()


def execute(database_url: str, statements: list) -> None:  # type: ignore[type-arg]
    """Typed statements (SQLAlchemy Core), so dates are stored as the models store them."""
    asyncio.run(_execute(database_url, statements))


def _ok(response, status: int = 201) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()


def _transition(client: TestClient, headers: dict, issue_id: int, to_status: str, **body: object) -> None:
    transitions = _ok(client.get(f"/v2/issues/{issue_id}/transitions", headers=headers), 200)["transitions"]
    chosen = next(t for t in transitions if t["to"]["name"].lower() == to_status.lower())
    _ok(client.post(f"/v2/issues/{issue_id}/transitions/{chosen['id']}", json=body, headers=headers), 200)


def build_world(client: TestClient, database_url: str) -> World:
    org, other = make_org(database_url), make_org(database_url)
    world = World(org=org, member=make_user(database_url, org, email=f"mia@{org.key.lower()}.test"),
                  outsider=make_user(database_url, org), other_org=other, database_url=database_url)
    h = org.headers
    alpha = _ok(client.post("/v2/projects", json={"key": "ALPHA", "name": "Alpha Project"}, headers=h))
    beta = _ok(client.post("/v2/projects", json={"key": "BETA", "name": "Beta", "access": "private"}, headers=h))
    _ok(client.put(f"/v2/projects/{beta['id']}/roles/developers", json={"user_ids": [world.member.user_id]},
                   headers=h), 200)
    other_project = _ok(client.post("/v2/projects", json={"key": "OTHER", "name": "Other"}, headers=other.headers))
    comp = _ok(client.post(f"/v2/projects/{alpha['id']}/components", json={"name": "Backend"}, headers=h))
    v1 = _ok(client.post(f"/v2/projects/{alpha['id']}/versions", json={"name": "1.0"}, headers=h))
    _ok(client.post(f"/v2/projects/{alpha['id']}/versions", json={"name": "2.0"}, headers=h))
    member = world.member.user_id
    specs = {
        "login": {"project_id": "ALPHA", "issue_type": "Bug", "summary": "Login fails when logging in",
                      "description": "The logged error shows a stack trace", "priority": "High",
                      "labels": ["backend", "urgent"], "assignee_id": member, "due_date": "2026-01-10",
                      "components": [comp["id"]], "fix_versions": [v1["id"]], "custom_fields": {"story_points": 5}},
        "export": {"project_id": "ALPHA", "issue_type": "Story", "summary": "Add export button",
                       "description": "Users want a CSV export of reports", "priority": "Low", "labels": ["frontend"],
                       "custom_fields": {"story_points": 3}},
        "migration": {"project_id": "ALPHA", "issue_type": "Task", "summary": "Database migration plan",
                          "priority": "Medium", "assignee_id": org.admin_user_id, "due_date": "2026-02-01"},
        "crash": {"project_id": "ALPHA", "issue_type": "Bug", "summary": "Crash on startup",
                      "description": "Quick brown fox crashes", "priority": "Highest", "labels": ["backend"]},
        "secret": {"project_id": "BETA", "issue_type": "Task", "summary": "Secret login work", "priority": "Medium"},
    }
    for name, spec in specs.items():
        issue = _ok(client.post("/v2/issues", json=spec, headers=h))
        world.keys[name], world.ids[name] = issue["key"], issue["id"]
    outside = _ok(client.post("/v2/issues", json={"project_id": "OTHER", "issue_type": "Bug",
                                                   "summary": "Login elsewhere"}, headers=other.headers))
    world.keys["outside"], world.ids["outside"] = outside["key"], outside["id"]
    _ok(client.post("/v2/issue-links", json={"type": "Blocks", "outward_issue": world.ids["crash"],
                                             "inward_issue": world.ids["login"]}, headers=h))
    _ok(client.post(f"/v2/issues/{world.ids['export']}/comments", json={"body": "Customers keep asking for PDF"},
                    headers=h))
    # History: migration goes In Progress (by the member's hand, pinned to 2026-01-20), login goes to Done.
    _transition(client, h, world.ids["migration"], "In Progress")
    _transition(client, h, world.ids["login"], "In Progress")
    dates = {"login": "2026-01-01", "export": "2026-01-05", "migration": "2026-01-10", "crash": None,
             "secret": "2026-01-02"}
    statements = []
    for name, day in dates.items():
        moment = datetime.fromisoformat(day).replace(tzinfo=UTC) if day else RECENT
        statements.append(update(Issue).where(Issue.id == world.ids[name]).values(created_at=moment,
                                                                                   updated_at=moment))
    jan20, jan3 = datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    migration, login = world.ids["migration"], world.ids["login"]
    statements += [
        update(ChangeGroup).where(ChangeGroup.issue_id == migration).values(created_at=jan20, author_id=member),
        update(ChangeItem).where(ChangeItem.issue_id == migration).values(created_at=jan20, author_id=member),
        update(ChangeGroup).where(ChangeGroup.issue_id == login).values(created_at=jan3),
        update(ChangeItem).where(ChangeItem.issue_id == login).values(created_at=jan3),
        update(Issue).where(Issue.id == migration).values(updated_at=jan20),
    ]
    execute(database_url, statements)
    del other_project, beta
    return world


def found(world: World, client: TestClient, jql: str, **kwargs: object) -> set[str]:
    """The names (summaries) of the issues `jql` finds in the world, as a set."""
    return set(world.names(client, jql, **kwargs))
