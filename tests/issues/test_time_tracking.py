"""Time tracking on both backends: estimates through /v2 and the Jira API (durations or seconds),
the remaining estimate following the original until work is logged, worklogs adding to the
time spent and adjusting the remaining estimate (Jira's adjustEstimate), the history items, and
bad input answering 400 with the field named."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.support import OrgHandle

API = "/rest/api/2"
HOUR = 3600


def _times(client: TestClient, org: OrgHandle, key: str) -> tuple:
    issue = ok(client.get(f"/v2/issues/{key}", headers=org.headers))
    return issue["original_estimate"], issue["remaining_estimate"], issue["time_spent"]


def _history(client: TestClient, org: OrgHandle, key: str) -> list[tuple]:
    issue = ok(client.get(f"/v2/issues/{key}", params={"expand": "changelog"}, headers=org.headers))
    return [(item["field_id"], item["from"], item["to"]) for group in issue["changelog"] for item in group["items"]
            if item["field_id"] in ("timeoriginalestimate", "timeestimate", "timespent")]


def _new(client: TestClient, org: OrgHandle, project: dict, **fields: object) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "task",
                                               "summary": "Tracked", **fields}, headers=org.headers), 201)


def test_estimates_through_v2(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    issue = _new(client, org, project, original_estimate="3d 4h")
    assert (issue["original_estimate"], issue["remaining_estimate"], issue["time_spent"]) == (
        28 * HOUR, 28 * HOUR, None)
    # No work logged yet: the remaining estimate follows the original one.
    ok(client.put(f"/v2/issues/{issue['key']}", json={"original_estimate": 7200}, headers=h))
    assert _times(client, org, issue["key"]) == (7200, 7200, None)
    # Set apart, it stays apart.
    ok(client.put(f"/v2/issues/{issue['key']}", json={"remaining_estimate": "30m"}, headers=h))
    ok(client.put(f"/v2/issues/{issue['key']}", json={"original_estimate": "4h"}, headers=h))
    assert _times(client, org, issue["key"]) == (4 * HOUR, 1800, None)
    assert _history(client, org, issue["key"]) == [
        ("timeoriginalestimate", str(28 * HOUR), "7200"), ("timeestimate", str(28 * HOUR), "7200"),
        ("timeestimate", "7200", "1800"), ("timeoriginalestimate", "7200", str(4 * HOUR))]
    ok(client.put(f"/v2/issues/{issue['key']}", json={"original_estimate": None, "remaining_estimate": 0},
                     headers=h))
    assert _times(client, org, issue["key"]) == (None, 0, None)
    only_remaining = _new(client, org, project, remaining_estimate=900)
    assert (only_remaining["original_estimate"], only_remaining["remaining_estimate"]) == (None, 900)


def test_bad_estimates_name_their_field(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    issue = _new(client, org, project)
    for body, field in (({"original_estimate": "soon"}, "original_estimate"),
                        ({"remaining_estimate": -60}, "remaining_estimate"),
                        ({"original_estimate": "9" * 400 + "w"}, "original_estimate"),
                        ({"time_spent": 3600}, "time_spent")):
        for response in (client.put(f"/v2/issues/{issue['key']}", json=body, headers=h),
                         client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "task",
                                                         "summary": "Bad", **body}, headers=h)):
            assert response.status_code in (400, 422), response.text
            assert field in response.text
    assert _times(client, org, issue["key"]) == (None, None, None)


def test_logging_work_adds_time_spent_and_adjusts_the_remaining_estimate(client: TestClient, org: OrgHandle,
                                                                         project: dict) -> None:
    h = org.headers
    key = _new(client, org, project, original_estimate="8h")["key"]
    first = ok(client.post(f"{API}/issue/{key}/worklog", json={"timeSpent": "3h"}, headers=h), 201)
    assert _times(client, org, key) == (8 * HOUR, 5 * HOUR, 3 * HOUR)  # auto: 8h - 3h
    # Once work is logged the original estimate no longer drags the remaining one along.
    ok(client.put(f"/v2/issues/{key}", json={"original_estimate": "10h"}, headers=h))
    assert _times(client, org, key) == (10 * HOUR, 5 * HOUR, 3 * HOUR)
    ok(client.post(f"{API}/issue/{key}/worklog", params={"adjustEstimate": "new", "newEstimate": "2h"},
                    json={"timeSpentSeconds": 1800}, headers=h), 201)
    assert _times(client, org, key) == (10 * HOUR, 2 * HOUR, 3 * HOUR + 1800)
    ok(client.post(f"{API}/issue/{key}/worklog", params={"adjustEstimate": "manual", "reduceBy": "30m"},
                    json={"timeSpent": "1h"}, headers=h), 201)
    assert _times(client, org, key) == (10 * HOUR, 5400, 4 * HOUR + 1800)
    ok(client.post(f"{API}/issue/{key}/worklog", params={"adjustEstimate": "leave"},
                    json={"timeSpent": "1h"}, headers=h), 201)
    assert _times(client, org, key) == (10 * HOUR, 5400, 5 * HOUR + 1800)
    # auto never goes below zero.
    last = ok(client.post(f"{API}/issue/{key}/worklog", json={"timeSpent": "1d"}, headers=h), 201)
    assert _times(client, org, key) == (10 * HOUR, 0, 13 * HOUR + 1800)
    # Changing a worklog adds the difference; deleting one takes it off and (auto) gives it back.
    ok(client.put(f"{API}/issue/{key}/worklog/{first['id']}", json={"timeSpent": "1h"}, headers=h))
    assert _times(client, org, key) == (10 * HOUR, 2 * HOUR, 11 * HOUR + 1800)
    ok(client.delete(f"{API}/issue/{key}/worklog/{last['id']}", headers=h), 204)
    assert _times(client, org, key) == (10 * HOUR, 10 * HOUR, 3 * HOUR + 1800)
    history = _history(client, org, key)
    assert history[:2] == [("timespent", None, str(3 * HOUR)), ("timeestimate", str(8 * HOUR), str(5 * HOUR))]
    assert history[-2:] == [("timespent", str(11 * HOUR + 1800), str(3 * HOUR + 1800)),
                            ("timeestimate", str(2 * HOUR), str(10 * HOUR))]
    for params, field in (({"adjustEstimate": "sideways"}, "adjustEstimate"),
                          ({"adjustEstimate": "new"}, "newEstimate"),
                          ({"adjustEstimate": "manual", "reduceBy": "lots"}, "reduceBy")):
        response = client.post(f"{API}/issue/{key}/worklog", params=params, json={"timeSpent": "1h"}, headers=h)
        assert response.status_code == 400 and field in response.text, response.text
    assert _times(client, org, key) == (10 * HOUR, 10 * HOUR, 3 * HOUR + 1800)


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
