"""Dashboards end to end: create, read, change, delete; sharing as saved filters; and cached data
invalidated by the next change."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.boards import error, new_issue, ok
from tests.factories.dashboards import data, gadget, new_dashboard
from tests.support import OrgHandle


def test_create_read_change_share_and_delete(client: TestClient, database_url: str, org: OrgHandle,
                                             project: dict, member: Any) -> None:
    h = org.headers
    saved = ok(client.post("/v2/filters", json={"name": "Proj", "jql": "project = PROJ"}, headers=h), 201)
    created = new_dashboard(client, h, gadget("filter_results", filter_id=saved["id"]),
                            {"type": "assigned_to_me", "title": "Mine", "id": "mine", "column": 1, "row": 0},
                            description="Our work")
    assert created["name"] == "Team dashboard" and created["version"] == 1 and created["can_edit"]
    assert created["owner"]["id"] == org.admin_user_id and created["shares"] == []
    assert created["layout"] == {"columns": 2, "gadgets": [
        {"id": "g1", "type": "filter_results", "title": "Filter results", "column": 0, "row": 0,
         "config": {"filter_id": saved["id"], "columns": ["key", "summary", "status", "assignee", "priority"],
                    "max_results": 10}},
        {"id": "mine", "type": "assigned_to_me", "title": "Mine", "column": 1, "row": 0,
         "config": {"columns": ["key", "summary", "status", "assignee", "priority"], "max_results": 10}}]}
    url = f"/v2/dashboards/{created['id']}"
    # Not shared: the member finds nothing, exactly as for a missing dashboard.
    assert client.get(url, headers=member.headers).status_code == 404
    assert ok(client.get("/v2/dashboards", headers=member.headers))["total"] == 0
    changed = ok(client.put(url, json={"name": "Renamed", "shares": [{"type": "organization"}], "version": 1},
                            headers=h))
    assert changed["version"] == 2 and changed["shares"] == [{"type": "organization"}]
    assert error(client.put(url, json={"name": "Stale", "version": 1}, headers=h), 409)["code"] == "version_conflict"
    seen = ok(client.get(url, headers=member.headers))
    assert seen["name"] == "Renamed" and not seen["can_edit"] and "shares" not in seen
    listed = ok(client.get("/v2/dashboards", params={"query": "renam"}, headers=member.headers))
    assert [d["id"] for d in listed["dashboards"]] == [created["id"]] and "layout" not in listed["dashboards"][0]
    assert error(client.put(url, json={"name": "Mine now"}, headers=member.headers), 403)["code"] == \
        "permission_denied"
    assert client.delete(url, headers=member.headers).status_code == 403
    # Shared with a private project's browsers only: the member, who may not browse it, loses it.
    secret = ok(client.post("/v2/projects", json={"key": "SEC", "name": "Secret", "access": "private"}, headers=h),
                201)
    ok(client.put(url, json={"shares": [{"type": "project", "project_id": secret["id"]}]}, headers=h))
    assert client.get(url, headers=member.headers).status_code == 404
    ok(client.put(url, json={"shares": [{"type": "user", "user_id": member.user_id}]}, headers=h))
    with_data = ok(client.get(url, params={"include": "data"}, headers=member.headers))
    assert [g["id"] for g in with_data["data"]["gadgets"]] == ["g1", "mine"]
    # The filter is the admin's own: the member's gadget says so, and shows nothing of it.
    assert with_data["data"]["gadgets"][0]["error"]["code"] == "not_found"
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404


def test_cached_data_is_invalidated_by_the_next_change(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    issue = new_issue(client, h, project, "Before")
    dashboard = new_dashboard(client, h, gadget("filter_results", jql="project = PROJ", columns=["summary"]),
                              gadget("pie_chart", jql="project = PROJ", field="status"))
    first = data(client, h, dashboard)
    assert [g["cached"] for g in first.values()] == [False, False]
    second = data(client, h, dashboard)
    assert [g["cached"] for g in second.values()] == [True, True]
    assert second["g1"]["data"] == first["g1"]["data"]
    ok(client.put(f"/v2/issues/{issue['id']}", json={"summary": "After"}, headers=h))
    third = data(client, h, dashboard)
    assert [g["cached"] for g in third.values()] == [False, False]
    assert [i["summary"] for i in third["g1"]["data"]["issues"]] == ["After"]
    ok(client.post(f"/v2/issues/{issue['id']}/transitions/21", json={}, headers=h))
    fourth = data(client, h, dashboard)
    assert [(s["label"], s["count"]) for s in fourth["g2"]["data"]["slices"]] == [("In Progress", 1)]
    assert [g["cached"] for g in data(client, h, dashboard, refresh=True).values()] == [False, False]
