"""Time tracking on both backends: estimates through /v2 and the Jira API (durations or seconds),
the remaining estimate following the original until work is logged, the history items, and bad
input answering 400 with the field named."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.time_tracking import API, HOUR, new_estimated_issue, time_history, times_of
from tests.support import OrgHandle


def test_estimates_through_v2(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    issue = new_estimated_issue(client, org, project, original_estimate="3d 4h")
    assert (issue["original_estimate"], issue["remaining_estimate"], issue["time_spent"]) == (
        28 * HOUR, 28 * HOUR, None)
    # No work logged yet: the remaining estimate follows the original one.
    ok(client.put(f"/v2/issues/{issue['key']}", json={"original_estimate": 7200}, headers=h))
    assert times_of(client, org, issue["key"]) == (7200, 7200, None)
    # Set apart, it stays apart.
    ok(client.put(f"/v2/issues/{issue['key']}", json={"remaining_estimate": "30m"}, headers=h))
    ok(client.put(f"/v2/issues/{issue['key']}", json={"original_estimate": "4h"}, headers=h))
    assert times_of(client, org, issue["key"]) == (4 * HOUR, 1800, None)
    assert time_history(client, org, issue["key"]) == [
        ("timeoriginalestimate", str(28 * HOUR), "7200"), ("timeestimate", str(28 * HOUR), "7200"),
        ("timeestimate", "7200", "1800"), ("timeoriginalestimate", "7200", str(4 * HOUR))]
    ok(client.put(f"/v2/issues/{issue['key']}", json={"original_estimate": None, "remaining_estimate": 0},
                     headers=h))
    assert times_of(client, org, issue["key"]) == (None, 0, None)
    only_remaining = new_estimated_issue(client, org, project, remaining_estimate=900)
    assert (only_remaining["original_estimate"], only_remaining["remaining_estimate"]) == (None, 900)


def test_bad_estimates_name_their_field(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    issue = new_estimated_issue(client, org, project)
    for body, field in (({"original_estimate": "soon"}, "original_estimate"),
                        ({"remaining_estimate": -60}, "remaining_estimate"),
                        ({"original_estimate": "9" * 400 + "w"}, "original_estimate"),
                        ({"time_spent": 3600}, "time_spent")):
        for response in (client.put(f"/v2/issues/{issue['key']}", json=body, headers=h),
                         client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "task",
                                                         "summary": "Bad", **body}, headers=h)):
            assert response.status_code in (400, 422), response.text
            assert field in response.text
    assert times_of(client, org, issue["key"]) == (None, None, None)


def test_jira_timetracking_fields(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    created = ok(client.post(f"{API}/issue", json={"fields": {
        "project": {"key": project["key"]}, "issuetype": {"name": "Task"}, "summary": "From Jira",
        "timetracking": {"originalEstimate": "1d 2h", "remainingEstimate": "90"}}}, headers=h), 201)
    key = created["key"]
    fields = ok(client.get(f"{API}/issue/{key}", headers=h))["fields"]
    assert fields["timetracking"] == {"originalEstimate": "1d 2h", "remainingEstimate": "1h 30m",
                                      "originalEstimateSeconds": 10 * HOUR, "remainingEstimateSeconds": 5400}
    assert (fields["timeoriginalestimate"], fields["timeestimate"], fields["timespent"]) == (10 * HOUR, 5400, None)
    ok(client.put(f"{API}/issue/{key}", json={"update": {"timetracking": [{"edit": {"remainingEstimate": "4h"}}]}},
                   headers=h), 204)
    ok(client.put(f"{API}/issue/{key}", json={"fields": {"timeoriginalestimate": 3 * HOUR}}, headers=h), 204)
    ok(client.post(f"{API}/issue/{key}/worklog", json={"timeSpent": "1h"}, headers=h), 201)
    fields = ok(client.get(f"{API}/issue/{key}", params={"fields": "timetracking,timespent"}, headers=h))["fields"]
    assert fields == {"timetracking": {"originalEstimate": "3h", "remainingEstimate": "3h", "timeSpent": "1h",
                                       "originalEstimateSeconds": 3 * HOUR, "remainingEstimateSeconds": 3 * HOUR,
                                       "timeSpentSeconds": HOUR}, "timespent": HOUR}
    for body, field in (({"fields": {"timetracking": "2h"}}, "timetracking"),
                        ({"fields": {"timetracking": {"originalEstimate": "two hours"}}}, "timetracking"),
                        ({"fields": {"timeestimate": "-5"}}, "timeestimate")):
        response = client.put(f"{API}/issue/{key}", json=body, headers=h)
        assert response.status_code == 400 and field in response.json()["errors"], response.text
    changelog = ok(client.get(f"{API}/issue/{key}", params={"expand": "changelog"}, headers=h))["changelog"]
    fields_changed = [item["field"] for history in changelog["histories"] for item in history["items"]]
    assert fields_changed == ["timeestimate", "timeoriginalestimate", "timespent", "timeestimate", "WorklogId"]
