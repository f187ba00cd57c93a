"""JQL over time tracking: originalEstimate, remainingEstimate, timeSpent take durations."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import OrgHandle, create_estimated_issues


def _keys(client: TestClient, org: OrgHandle, jql: str) -> list[str]:
    response = client.post("/v2/search", json={"jql": jql, "fields": ["key"]}, headers=org.headers)
    assert response.status_code == 200, (jql, response.text)
    return [issue["key"] for issue in response.json()["issues"]]


def test_estimates_and_time_spent_in_jql(client: TestClient, org: OrgHandle, project: dict) -> None:
    keys = create_estimated_issues(client, org, project, {"small": "30m", "day": "1d", "week": "1w", "none": None})
    response = client.post(f"/rest/api/2/issue/{keys['day']}/worklog", json={"timeSpent": "3h"}, headers=org.headers)
    assert response.status_code == 201, response.text

    assert set(_keys(client, org, "originalEstimate > 2h")) == {keys["day"], keys["week"]}
    assert set(_keys(client, org, "originalEstimate <= 30")) == {keys["small"]}  # a bare number is minutes
    assert _keys(client, org, "originalEstimate IS EMPTY") == [keys["none"]]
    assert _keys(client, org, 'remainingEstimate = "5h"') == [keys["day"]]  # 8h less 3h logged
    assert _keys(client, org, "timeSpent >= 3h") == [keys["day"]]
    assert _keys(client, org, "timeestimate IS NOT EMPTY ORDER BY originalEstimate DESC") == [
        keys["week"], keys["day"], keys["small"]]

    response = client.post("/v2/search", json={"jql": "originalEstimate > soon"}, headers=org.headers)
    assert response.status_code == 400
    assert "duration" in response.text and "originalEstimate" in response.text
