"""Dashboards end to end: create, read, change, delete; sharing as saved filters; every gadget
type's data; data computed per viewer (a shared dashboard leaks nothing); the layout's
validation errors naming their place; and cached data invalidated by the next change."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.boards import error, new_issue, ok
from tests.factories.dated_world import DatedWorld
from tests.support import OrgHandle, make_user


def gadget(kind: str, **config: Any) -> dict:
    return {"type": kind, "config": config}


def new_dashboard(client: TestClient, headers: dict, *gadgets: dict, **extra: Any) -> dict:
    body = {"name": "Team dashboard", "layout": {"columns": 2, "gadgets": list(gadgets)}, **extra}
    return ok(client.post("/v2/dashboards", json=body, headers=headers), 201)


def data(client: TestClient, headers: dict, dashboard: dict, **params: Any) -> dict[str, dict]:
    found = ok(client.get(f"/v2/dashboards/{dashboard['id']}/data", params=params, headers=headers))
    return {entry["id"]: entry for entry in found["gadgets"]}


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


def test_bad_layouts_answer_400_naming_the_place(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    good = gadget("filter_results", jql="project = PROJ")
    cases = [
        ([good, good, gadget("pie_chart", jql="project = = PROJ", field="status")], "layout.gadgets[2].config.jql"),
        ([gadget("pie_chart", jql="status = Nope", field="status")], "layout.gadgets[0].config.jql"),
        ([good, {"type": "clock"}], "layout.gadgets[1].type"),
        ([gadget("pie_chart", jql="", field="summary")], "layout.gadgets[0].config.field"),
        ([gadget("pie_chart", jql="")], "layout.gadgets[0].config.field"),
        ([gadget("filter_results", jql="", colour="red")], "layout.gadgets[0].config.colour"),
        ([gadget("filter_results", jql="", max_results=0)], "layout.gadgets[0].config.max_results"),
        ([gadget("filter_results", jql="", columns=["key", "nope"])], "layout.gadgets[0].config.columns[1]"),
        ([gadget("filter_results")], "layout.gadgets[0].config.jql"),
        ([gadget("filter_results", jql="", filter_id=987654321)], "layout.gadgets[0].config.filter_id"),
        ([gadget("filter_results", filter_id=987654321)], "layout.gadgets[0].config.filter_id"),
        ([gadget("velocity", board_id=987654321)], "layout.gadgets[0].config.board_id"),
        ([gadget("velocity", board_id="x")], "layout.gadgets[0].config.board_id"),
        ([gadget("created_vs_resolved", jql="", period="soon")], "layout.gadgets[0].config.period"),
        ([gadget("created_vs_resolved", jql="", interval="hour")], "layout.gadgets[0].config.interval"),
        ([{**good, "id": "a b"}], "layout.gadgets[0].id"),
        ([{**good, "id": "x"}, {**good, "id": "x"}], "layout.gadgets[1].id"),
        ([{**good, "column": 5}], "layout.gadgets[0].column"),
        ([{**good, "width": 2}], "layout.gadgets[0].width"),
        ([{**good, "config": []}], "layout.gadgets[0].config"),
        (["pie"], "layout.gadgets[0]"),
    ]
    for gadgets, field in cases:
        answer = error(client.post("/v2/dashboards", json={"name": "Bad", "layout": {"gadgets": gadgets}},
                                   headers=h), 400)
        assert answer["field"] == field, (gadgets, answer)
        assert answer["message"], answer
    assert error(client.post("/v2/dashboards", json={"name": "Bad", "layout": {"columns": 9}}, headers=h),
                 400)["field"] == "layout.columns"
    jql_error = error(client.post("/v2/dashboards", json={"name": "Bad", "layout": {"gadgets": [
        gadget("pie_chart", jql="project = = PROJ", field="status")]}}, headers=h), 400)
    assert "line 1, column" in jql_error["message"]
    assert error(client.post("/v2/dashboards", json={"name": "Bad", "shares": [{"type": "everyone"}]}, headers=h),
                 400)["field"] == "shares.0.type"
    assert ok(client.get("/v2/dashboards", headers=h))["total"] == 0


def test_every_gadget_type_on_the_dated_world(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    h, k = dated_org.headers, dated.keys
    project = f"project = {dated.project['key']}"
    board = dated.board["id"]
    dashboard = new_dashboard(
        client, h,
        gadget("filter_results", jql=f"{project} ORDER BY key", columns=["key", "status", "issuetype", "story_points"],
               max_results=3),
        gadget("pie_chart", jql=project, field="status"),
        gadget("two_dimensional", jql=project, x_field="status", y_field="issuetype"),
        gadget("created_vs_resolved", jql=project, period="1y", interval="week"),
        gadget("sprint_burndown", board_id=board, sprint_id=dated.sprint1["id"]),
        gadget("sprint_burndown", board_id=board),
        gadget("velocity", board_id=board, period="1y", forecast=1),
        gadget("activity_stream", jql=project, max_results=3),
        gadget("assigned_to_me"))
    found = data(client, h, dashboard)
    assert all("error" not in entry for entry in found.values()), found
    results = found["g1"]["data"]
    assert results["total"] == 6
    assert [(i["key"], i["status"], i["issuetype"], i["story_points"]) for i in results["issues"]] == [
        (k["A"], "Done", "Story", 3), (k["B"], "Done", "Story", 3), (k["C"], "Done", "Story", 2)]
    pie = found["g2"]["data"]
    assert pie["total"] == 6 and [(s["label"], s["count"], s["percent"]) for s in pie["slices"]] == [
        ("Done", 3, 50.0), ("To Do", 3, 50.0)]
    grid = found["g3"]["data"]
    assert [c["label"] for c in grid["columns"]] == ["Done", "To Do"]
    assert [(r["label"], r["counts"]) for r in grid["rows"]] == [("Story", [3, 2]), ("Bug", [0, 1])]
    created = found["g4"]["data"]
    assert created["totals"] == {"created": 6, "resolved": 4} and created["interval"] == "week"
    burndown = found["g5"]["data"]
    assert burndown["sprint"]["id"] == dated.sprint1["id"] and burndown["totals"]["remaining"] == 11.0
    assert [p["value"] for p in burndown["remaining"]] == [11, 8, 16, 14, 13, 16, 14, 11, 11]
    latest = found["g6"]["data"]  # no sprint named: the board's last completed one
    assert latest["sprint"]["id"] == dated.sprint2["id"] and latest["totals"]["completed"] == 3.0
    velocity = found["g7"]["data"]
    assert [(s["committed"], s["completed"]) for s in velocity["sprints"]] == [(11.0, 5.0), (11.0, 3.0)]
    assert velocity["average"] == 4.0 and len(velocity["forecast"]["sprints"]) == 1
    activity = found["g8"]["data"]["entries"]
    assert len(activity) == 3 and activity[0]["at"] == "2026-03-30T09:00:00Z"
    assert activity[0]["issue"]["key"] == k["D"] and activity[0]["items"][0]["field"] == "Sprint"
    assert found["g9"]["data"] == {"total": 0, "columns": ["key", "summary", "status", "assignee", "priority"],
                                   "issues": []}


def test_gadget_data_is_computed_for_each_viewer(client: TestClient, database_url: str, org: OrgHandle,
                                                 project: dict, member: Any) -> None:
    h = org.headers
    secret = ok(client.post("/v2/projects", json={"key": "SEC", "name": "Secret", "access": "private"}, headers=h),
                201)
    shown = new_issue(client, h, project, "Open story", assignee_id=member.user_id)
    new_issue(client, h, project, "Another story")
    new_issue(client, h, secret, "Private secret plan")
    developer = make_user(database_url, org, role="member")
    ok(client.put(f"/v2/projects/{project['id']}/roles/developers", json={"user_ids": [developer.user_id]},
                  headers=h))
    ok(client.post(f"/v2/issues/{shown['id']}/comments", json={
        "body": "Restricted note for developers", "visibility": {"type": "role", "value": "developers"}},
        headers=developer.headers), 201)
    ok(client.post(f"/v2/issues/{shown['id']}/comments", json={"body": "Public note"}, headers=h), 201)
    dashboard = new_dashboard(client, h, gadget("filter_results", jql="ORDER BY key", columns=["key", "summary"]),
                              gadget("pie_chart", jql="", field="project"), gadget("activity_stream"),
                              gadget("assigned_to_me", columns=["key", "summary"]),
                              shares=[{"type": "organization"}])
    admin_view = data(client, h, dashboard)
    assert admin_view["g1"]["data"]["total"] == 3
    assert sorted((s["label"], s["count"]) for s in admin_view["g2"]["data"]["slices"]) == [("Project", 2),
                                                                                            ("Secret", 1)]
    assert any(e.get("comment", {}).get("excerpt") == "Restricted note for developers"
               for e in admin_view["g3"]["data"]["entries"])
    response = client.get(f"/v2/dashboards/{dashboard['id']}/data", headers=member.headers)
    member_view = {g["id"]: g for g in ok(response)["gadgets"]}
    for hidden in ("Private secret", "Restricted note", "Secret", "SEC-"):
        assert hidden not in response.text, hidden
    assert member_view["g1"]["data"]["total"] == 2 and member_view["g1"]["cached"] is False
    assert [(s["label"], s["count"]) for s in member_view["g2"]["data"]["slices"]] == [("Project", 2)]
    assert [i["key"] for i in member_view["g4"]["data"]["issues"]] == [shown["key"]]
    assert admin_view["g4"]["data"]["issues"] == []
    # A second viewer with the same access shares the member's cached entries; the developer's
    # activity differs (the restricted comment), so that gadget is per person.
    another = make_user(database_url, org, role="member")
    again = data(client, another.headers, dashboard)
    assert again["g1"]["cached"] is True and again["g2"]["cached"] is True and again["g3"]["cached"] is False
    developer_view = data(client, developer.headers, dashboard)
    assert any(e.get("comment", {}).get("excerpt") == "Restricted note for developers"
               for e in developer_view["g3"]["data"]["entries"])


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
    ok(client.post(f"/v2/issues/{issue['id']}/transitions/11", json={}, headers=h))
    fourth = data(client, h, dashboard)
    assert [(s["label"], s["count"]) for s in fourth["g2"]["data"]["slices"]] == [("In Progress", 1)]
    assert [g["cached"] for g in data(client, h, dashboard, refresh=True).values()] == [False, False]
