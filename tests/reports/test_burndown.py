"""Burndown and burnup against values worked out by hand from dated_world's history, and an active
sprint's burndown running until now, sampled when the sprint is long."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.dated_world import DatedWorld, report_of
from tests.support import OrgHandle


def test_burndown_follows_scope_changes_reopening_and_reestimates(client: TestClient, dated_org: OrgHandle,
                                                                  dated: DatedWorld) -> None:
    report = report_of(client, dated_org, dated, "burndown", sprint_id=dated.sprint1["id"])
    k = dated.keys
    assert [(p["at"], p["value"], p["event"], p["issue_key"]) for p in report["remaining"]] == [
        ("2026-03-02T09:00:00Z", 11.0, "start", None),
        ("2026-03-04T10:00:00Z", 8.0, "completed", k["A"]),
        ("2026-03-05T10:00:00Z", 16.0, "added", k["D"]),
        ("2026-03-06T10:00:00Z", 14.0, "estimate", k["B"]),
        ("2026-03-07T10:00:00Z", 13.0, "removed", k["E"]),
        ("2026-03-09T10:00:00Z", 16.0, "reopened", k["A"]),
        ("2026-03-11T10:00:00Z", 14.0, "completed", k["C"]),
        ("2026-03-13T10:00:00Z", 11.0, "completed", k["A"]),
        ("2026-03-16T09:00:00Z", 11.0, "end", None),
    ]
    # The guideline: 11 points to zero over 14 days, a point a day.
    assert [p["value"] for p in report["ideal"]] == [round(11 * (1 - day / 14), 4) for day in range(15)]
    assert report["ideal"][0]["at"] == "2026-03-02T09:00:00Z" and report["ideal"][-1]["at"] == "2026-03-16T09:00:00Z"
    # Remaining work sampled each day at 09:00, the sprint's start time.
    assert [p["value"] for p in report["actual"]] == [11, 11, 11, 8, 16, 14, 13, 13, 16, 16, 14, 14, 11, 11, 11]
    assert report["totals"] == {
        "committed": 11.0, "committed_issues": 4, "committed_remaining": 11.0, "added": 8.0, "added_issues": 1,
        "removed": 1.0, "removed_issues": 1, "estimate_change": -2.0, "scope": 16.0, "completed": 5.0,
        "completed_issues": 2, "remaining": 11.0}
    assert [(c["issue_key"], c["change"], c["from_estimate"], c["to_estimate"]) for c in report["scope_changes"]] == [
        (k["D"], "added", None, 8.0), (k["B"], "estimate", 5.0, 3.0), (k["E"], "removed", 1.0, None)]
    assert [(c["issue_key"], c["change"]) for c in report["completed_issues"]] == [
        (k["A"], "completed"), (k["A"], "reopened"), (k["C"], "completed"), (k["A"], "completed")]
    assert report["sprint"]["state"] == "closed" and report["sprint"]["completed_at"] == "2026-03-16T09:00:00Z"


def test_burnup_and_issue_count(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    burnup = report_of(client, dated_org, dated, "burnup", sprint_id=dated.sprint1["id"])
    assert [p["value"] for p in burnup["scope"]] == [11, 11, 19, 17, 16, 16, 16, 16, 16]
    assert [p["value"] for p in burnup["completed"]] == [0, 3, 3, 3, 3, 0, 2, 5, 5]
    assert burnup["ideal"][0]["value"] == 0 and burnup["ideal"][-1]["value"] == 11
    counted = report_of(client, dated_org, dated, "burndown", sprint_id=dated.sprint1["id"], estimate="issue_count")
    # The re-estimate changes no count, so it is not a point.
    assert [(p["value"], p["event"]) for p in counted["remaining"]] == [
        (4, "start"), (3, "completed"), (4, "added"), (3, "removed"), (4, "reopened"), (3, "completed"),
        (2, "completed"), (2, "end")]
    narrowed = report_of(client, dated_org, dated, "burndown", sprint_id=dated.sprint1["id"],
                   jql=f"key != {dated.keys['D']}")
    assert narrowed["totals"]["scope"] == 8 and narrowed["totals"]["added"] == 0


def test_an_active_sprint_runs_until_now_and_long_sprints_are_sampled(client: TestClient, org: OrgHandle,
                                                                      project: dict) -> None:
    h = org.headers
    board = client.post("/v2/boards", json={"name": "Long", "project_id": project["id"]}, headers=h).json()
    sprint = client.post(f"/v2/boards/{board['id']}/sprints", json={}, headers=h).json()
    issue = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Story", "summary": "S",
                                            "custom_fields": {"story_points": 2, "sprint": sprint["id"]}},
                        headers=h).json()
    url = f"/v2/projects/{project['id']}/reports/burndown"
    assert client.get(url, headers=h).json()["error"]["code"] == "no_started_sprint"
    # A sprint not started yet (as Jira): its scope as of now against its planned dates, no progress.
    planned = client.get(url, params={"sprint_id": sprint["id"]}, headers=h)
    assert planned.status_code == 200, planned.text
    planned = planned.json()
    assert planned["sprint"]["started"] is False and planned["sprint"]["state"] == "future"
    assert planned["totals"]["scope"] == 2.0 and planned["totals"]["committed_issues"] == 1
    assert planned["actual"] == [] and [p["event"] for p in planned["remaining"]] == ["start"]
    assert planned["ideal"][0]["value"] == 2.0 and planned["ideal"][-1]["value"] == 0.0
    assert len(planned["ideal"]) == 15  # the default two weeks, a point a day
    burnup = client.get(f"/v2/projects/{project['id']}/reports/burnup", params={"sprint_id": sprint["id"]},
                        headers=h).json()
    assert [p["value"] for p in burnup["scope"]] == [2.0] and burnup["ideal"][-1]["value"] == 2.0
    started = client.post(f"/v2/sprints/{sprint['id']}/start", json={"start_at": "1971-01-01T00:00:00Z",
                                                                     "end_at": "8999-01-01T00:00:00Z"}, headers=h)
    assert started.status_code == 200, started.text
    report = client.get(url, headers=h).json()  # the active sprint by default
    assert report["sprint"]["id"] == sprint["id"] and report["remaining"][-1]["event"] == "now"
    assert report["totals"]["committed"] == 2.0 and report["remaining"][-1]["issue_key"] is None
    assert 2 < len(report["ideal"]) <= 502 and report["ideal"][-1] == {"at": "8999-01-01T00:00:00Z", "value": 0.0}
    assert client.get(url, params={"sprint_id": 987654321}, headers=h).status_code == 404
    assert client.get(url, params={"estimate": "summary"}, headers=h).json()["error"]["field"] == "estimate"
    assert issue["key"]
