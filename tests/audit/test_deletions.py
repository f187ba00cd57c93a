"""Deletions that emit no domain event still leave an audit record: components, versions,
saved filters, dashboards, a watch and a vote. On SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle, fetch_rows, make_user


def test_deletions_without_events_are_recorded(client: TestClient, database_url: str, org: OrgHandle) -> None:
    project = ok(client.post("/v2/projects", json={"key": "DEL", "name": "Deletions"}, headers=org.headers), 201)
    component = ok(client.post(f"/v2/projects/{project['id']}/components", json={"name": "Backend"},
                               headers=org.headers), 201)
    version = ok(client.post(f"/v2/projects/{project['id']}/versions", json={"name": "1.0"},
                             headers=org.headers), 201)
    saved = ok(client.post("/v2/filters", json={"name": "Mine", "jql": "assignee = currentUser()"},
                           headers=org.headers), 201)
    dashboard = ok(client.post("/v2/dashboards", json={"name": "Board room"}, headers=org.headers), 201)
    issue = ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": "Watched"}, headers=org.headers), 201)
    voter = make_user(database_url, org)
    ok(client.put(f"/v2/issues/{issue['id']}/vote", headers=voter.headers))
    for url, who in ((f"/v2/components/{component['id']}", org), (f"/v2/versions/{version['id']}", org),
                     (f"/v2/filters/{saved['id']}", org), (f"/v2/dashboards/{dashboard['id']}", org),
                     (f"/v2/issues/{issue['id']}/watch", org), (f"/v2/issues/{issue['id']}/vote", voter)):
        response = client.delete(url, headers=who.headers)
        assert response.status_code in (200, 204), (url, response.text)
    rows = fetch_rows(database_url, "SELECT action, object_id, object_key, actor_user_id FROM audit_records "
                                    "WHERE organization_id = :o AND action IN ('component.deleted', 'version.deleted', "
                                    "'filter.deleted', 'dashboard.deleted', 'issue.watcher_removed', "
                                    "'issue.vote_removed') ORDER BY sequence", {"o": org.organization_id})
    assert [(row["action"], row["object_id"]) for row in rows] == [
        ("component.deleted", component["id"]), ("version.deleted", version["id"]), ("filter.deleted", saved["id"]),
        ("dashboard.deleted", dashboard["id"]), ("issue.watcher_removed", issue["id"]),
        ("issue.vote_removed", issue["id"])]
    assert [row["actor_user_id"] for row in rows] == [org.admin_user_id] * 5 + [voter.user_id]
    assert rows[-1]["object_key"] == issue["key"]
