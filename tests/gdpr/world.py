"""A user with a footprint everywhere (reported and assigned issues, a comment mentioning them, a
worklog, a watch, a vote, notification preferences, an audit trail), and another organization
holding a user with the same email, for the export and erasure tests."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import JSON, String, Text, cast, func, or_, select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.gdpr.columns import tenant_tables
from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle, make_user


@dataclass(frozen=True)
class Footprint:
    person: UserHandle
    name: str
    twin: UserHandle  # the same email, in the other organization
    issue: dict
    assigned: dict
    other_issue: dict


def make_footprint(client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle) -> Footprint:
    person = make_user(database_url, org, role="member")
    twin = make_user(database_url, other_org, role="member", email=person.email)
    name = ok(client.get(f"/v2/users/{person.user_id}", headers=org.headers))["display_name"]
    project = ok(client.post("/v2/projects", json={"key": "GDPR", "name": "Data rights"}, headers=org.headers), 201)
    issue = ok(client.post("/v2/issues", json={
        "project_id": project["id"], "issue_type": "Task", "summary": "Reported by the person",
        "description": f"Ask {name} ({person.email}) about it"}, headers=person.headers), 201)
    assigned = ok(client.post("/v2/issues", json={
        "project_id": project["id"], "issue_type": "Bug", "summary": "Assigned to the person",
        "assignee_id": f"user_{org.admin_user_id}"}, headers=org.headers), 201)
    ok(client.put(f"/v2/issues/{assigned['id']}", json={"assignee_id": f"user_{person.user_id}",
                                                       "version": assigned["version"]}, headers=org.headers))
    ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "The person's own comment"},
                   headers=person.headers), 201)
    ok(client.post(f"/v2/issues/{assigned['id']}/comments", json={"body": f"cc {name}, see [~{person.email}]"},
                   headers=org.headers), 201)
    ok(client.post(f"/rest/api/2/issue/{issue['key']}/worklog", json={"timeSpentSeconds": 600,
                                                                       "comment": "An hour of the person's"},
                   headers=person.headers), 201)
    ok(client.put(f"/v2/issues/{assigned['id']}/watch", headers=person.headers))
    ok(client.put(f"/v2/issues/{assigned['id']}/vote", headers=person.headers))
    ok(client.put("/v2/notifications/preferences", json={"own_changes": True}, headers=person.headers))
    other_project = ok(client.post("/v2/projects", json={"key": "OTHER", "name": "Elsewhere"},
                                   headers=other_org.headers), 201)
    other_issue = ok(client.post("/v2/issues", json={
        "project_id": other_project["id"], "issue_type": "Task", "summary": "The twin's secret plans"},
        headers=twin.headers), 201)
    return Footprint(person, name, twin, issue, assigned, other_issue)


def unzip(content: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def rows_mentioning(database_url: str, organization_id: int, *terms: str) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text and JSON column of the organization's rows holding
    any of `terms` (ignoring case), read straight from the database (one query per table)."""
    async def run() -> list[tuple[str, str, str]]:
        database = Database(Settings(database_url=database_url))
        found = []
        try:
            async with database.unit_of_work(write=False) as session:
                for table in tenant_tables():
                    texts = [cast(column, Text).label(column.name) for column in table.table.columns
                             if isinstance(column.type, String | JSON)]
                    if not texts:
                        continue
                    rows = await session.execute(select(*texts).where(
                        table.of_organization(organization_id),
                        or_(*(func.lower(text).contains(term.lower()) for text in texts for term in terms))))
                    found += [(table.name, name, value) for row in rows for name, value in row._mapping.items()
                              if value is not None and any(term.lower() in value.lower() for term in terms)]
        finally:
            await database.dispose()
        return found
    return asyncio.run(run())
