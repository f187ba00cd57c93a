"""Every gadget type's data on the dated world, and data computed for each viewer: a shared
dashboard leaks nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.boards import new_issue, ok
from tests.factories.dashboards import data, gadget, new_dashboard
from tests.factories.dated_world import DatedWorld
from tests.support import OrgHandle, make_user


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
