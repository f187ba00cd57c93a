"""Velocity and its forecast against values worked out by hand from dated_world's history."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient

from tests.factories.dated_world import DatedWorld, report_of
from tests.support import OrgHandle


def test_velocity_and_forecast(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = report_of(client, dated_org, dated, "velocity", period="1y", forecast=2)
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
    tighter = report_of(client, dated_org, dated, "velocity", period="1y", forecast=1, confidence=0.8)
    assert tighter["forecast"]["sprints"][0]["high"] == round(4 + 3.078 * math.sqrt(2) * math.sqrt(1.5), 4)
