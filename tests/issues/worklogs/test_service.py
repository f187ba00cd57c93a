"""Worklogs on both backends: logged work adds to the time spent and adjusts the remaining estimate
(Jira's adjustEstimate), with its history items."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.time_tracking import API, HOUR, new_estimated_issue, time_history, times_of
from tests.support import OrgHandle


def test_logging_work_adds_time_spent_and_adjusts_the_remaining_estimate(client: TestClient, org: OrgHandle,
                                                                         project: dict) -> None:
    h = org.headers
    key = new_estimated_issue(client, org, project, original_estimate="8h")["key"]
    first = ok(client.post(f"{API}/issue/{key}/worklog", json={"timeSpent": "3h"}, headers=h), 201)
    assert times_of(client, org, key) == (8 * HOUR, 5 * HOUR, 3 * HOUR)  # auto: 8h - 3h
    # Once work is logged the original estimate no longer drags the remaining one along.
    ok(client.put(f"/v2/issues/{key}", json={"original_estimate": "10h"}, headers=h))
    assert times_of(client, org, key) == (10 * HOUR, 5 * HOUR, 3 * HOUR)
    ok(client.post(f"{API}/issue/{key}/worklog", params={"adjustEstimate": "new", "newEstimate": "2h"},
                    json={"timeSpentSeconds": 1800}, headers=h), 201)
    assert times_of(client, org, key) == (10 * HOUR, 2 * HOUR, 3 * HOUR + 1800)
    ok(client.post(f"{API}/issue/{key}/worklog", params={"adjustEstimate": "manual", "reduceBy": "30m"},
                    json={"timeSpent": "1h"}, headers=h), 201)
    assert times_of(client, org, key) == (10 * HOUR, 5400, 4 * HOUR + 1800)
    ok(client.post(f"{API}/issue/{key}/worklog", params={"adjustEstimate": "leave"},
                    json={"timeSpent": "1h"}, headers=h), 201)
    assert times_of(client, org, key) == (10 * HOUR, 5400, 5 * HOUR + 1800)
    # auto never goes below zero.
    last = ok(client.post(f"{API}/issue/{key}/worklog", json={"timeSpent": "1d"}, headers=h), 201)
    assert times_of(client, org, key) == (10 * HOUR, 0, 13 * HOUR + 1800)
    # Changing a worklog adds the difference; deleting one takes it off and (auto) gives it back.
    ok(client.put(f"{API}/issue/{key}/worklog/{first['id']}", json={"timeSpent": "1h"}, headers=h))
    assert times_of(client, org, key) == (10 * HOUR, 2 * HOUR, 11 * HOUR + 1800)
    ok(client.delete(f"{API}/issue/{key}/worklog/{last['id']}", headers=h), 204)
    assert times_of(client, org, key) == (10 * HOUR, 10 * HOUR, 3 * HOUR + 1800)
    history = time_history(client, org, key)
    assert history[:2] == [("timespent", None, str(3 * HOUR)), ("timeestimate", str(8 * HOUR), str(5 * HOUR))]
    assert history[-2:] == [("timespent", str(11 * HOUR + 1800), str(3 * HOUR + 1800)),
                            ("timeestimate", str(2 * HOUR), str(10 * HOUR))]
    for params, field in (({"adjustEstimate": "sideways"}, "adjustEstimate"),
                          ({"adjustEstimate": "new"}, "newEstimate"),
                          ({"adjustEstimate": "manual", "reduceBy": "lots"}, "reduceBy")):
        response = client.post(f"{API}/issue/{key}/worklog", params=params, json={"timeSpent": "1h"}, headers=h)
        assert response.status_code == 400 and field in response.text, response.text
    assert times_of(client, org, key) == (10 * HOUR, 10 * HOUR, 3 * HOUR + 1800)
