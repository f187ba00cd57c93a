"""Burndown, burnup and velocity against values worked out by hand from dated_world's history."""

from __future__ import annotations

import csv
import io
import math

from fastapi.testclient import TestClient

from tests.factories.dated_world import DatedWorld
from tests.support import OrgHandle


def get(client: TestClient, org: OrgHandle, world: DatedWorld, report: str, **params: object) -> dict:
    response = client.get(f"/v2/projects/{world.project['id']}/reports/{report}", params=params, headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_burndown_follows_scope_changes_reopening_and_reestimates(client: TestClient, dated_org: OrgHandle,
                                                                  dated: DatedWorld) -> None:
    report = get(client, dated_org, dated, "burndown", sprint_id=dated.sprint1["id"])
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
    burnup = get(client, dated_org, dated, "burnup", sprint_id=dated.sprint1["id"])
    assert [p["value"] for p in burnup["scope"]] == [11, 11, 19, 17, 16, 16, 16, 16, 16]
    assert [p["value"] for p in burnup["completed"]] == [0, 3, 3, 3, 3, 0, 2, 5, 5]
    assert burnup["ideal"][0]["value"] == 0 and burnup["ideal"][-1]["value"] == 11
    counted = get(client, dated_org, dated, "burndown", sprint_id=dated.sprint1["id"], estimate="issue_count")
    # The re-estimate changes no count, so it is not a point.
    assert [(p["value"], p["event"]) for p in counted["remaining"]] == [
        (4, "start"), (3, "completed"), (4, "added"), (3, "removed"), (4, "reopened"), (3, "completed"),
        (2, "completed"), (2, "end")]
    narrowed = get(client, dated_org, dated, "burndown", sprint_id=dated.sprint1["id"],
                   jql=f"key != {dated.keys['D']}")
    assert narrowed["totals"]["scope"] == 8 and narrowed["totals"]["added"] == 0


def test_velocity_and_forecast(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = get(client, dated_org, dated, "velocity", period="1y", forecast=2)
    rows = [(s["name"], s["committed"], s["completed"], s["added"], s["removed"], s["issues_committed"],
             s["issues_completed"]) for s in report["sprints"]]
    assert rows == [(dated.sprint1["name"], 11.0, 5.0, 8.0, 1.0, 4, 2), ("Sprint 2", 11.0, 3.0, 0.0, 0.0, 2, 1)]
    assert report["average"] == 4.0 and report["stdev"] == round(math.sqrt(2), 4)
    # t(0.975, 1) = 12.706; one sprint: 4 ± 12.706·√2·√(1 + 1/2); two together: 8 ± 12.706·√2·√(2 + 4/2).
    one, two = 12.706 * math.sqrt(2) * math.sqrt(1.5), 12.706 * math.sqrt(2) * 2
    assert report["forecast"]["sprints"] == [
        {"next": 1, "expected": 4.0, "low": 0.0, "high": round(4 + one, 4), "cumulative_expected": 4.0,
         "cumulative_low": 0.0, "cumulative_high": round(4 + one, 4)},
        {"next": 2, "expected": 4.0, "low": 0.0, "high": round(4 + one, 4), "cumulative_expected": 8.0,
         "cumulative_low": 0.0, "cumulative_high": round(8 + two, 4)}]
    tighter = get(client, dated_org, dated, "velocity", period="1y", forecast=1, confidence=0.8)
    assert tighter["forecast"]["sprints"][0]["high"] == round(4 + 3.078 * math.sqrt(2) * math.sqrt(1.5), 4)


def test_csv_matches_the_json(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    url = f"/v2/projects/{dated.project['id']}/reports/burndown"
    params = {"sprint_id": dated.sprint1["id"]}
    data = client.get(url, params=params, headers=dated_org.headers).json()
    by_param = client.get(url, params={**params, "format": "csv"}, headers=dated_org.headers)
    by_accept = client.get(url, params=params, headers={**dated_org.headers, "Accept": "text/csv"})
    assert by_param.status_code == by_accept.status_code == 200
    assert by_param.headers["content-type"].startswith("text/csv") and by_param.text == by_accept.text
    rows = list(csv.DictReader(io.StringIO(by_param.text)))
    for series in ("ideal", "actual", "remaining"):
        assert [(r["at"], float(r["value"]), r["event"] or None, r["issue_key"] or None)
                for r in rows if r["series"] == series] == \
            [(p["at"], p["value"], p.get("event"), p.get("issue_key")) for p in data[series]]


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
    assert client.get(url, params={"sprint_id": sprint["id"]}, headers=h).json()["error"]["code"] == \
        "sprint_not_started"
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
