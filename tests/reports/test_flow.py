"""Lead and cycle time, control chart and time in status against values worked out by hand from
dated_world's history (times are in days; A was created Feb 23 09:00, resolved Mar 4, reopened,
resolved again Mar 13 10:00; B and C are in its docstring)."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient

from tests.factories.dated_world import HOUR, MARCH, DatedWorld, csv_rows, report_of
from tests.support import OrgHandle


def test_lead_and_cycle_time_per_issue_type(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = report_of(client, dated_org, dated, "cycle-time", **MARCH)
    assert report["resolved_issues"] == 3  # A (last resolution, Mar 13), B (Mar 20), C (Mar 11)
    lead = sorted([16 + HOUR, 18 + HOUR, 25 + HOUR])  # C, A, B: created → resolved
    by_key = {(m["issue_type"], m["metric"]): m for m in report["metrics"]}
    assert set(by_key) == {("All", "lead_time"), ("All", "cycle_time"), ("Story", "lead_time"),
                           ("Story", "cycle_time")}
    assert by_key[("Story", "lead_time")] == {
        "issue_type": "Story", "metric": "lead_time", "count": 3, "mean": round(sum(lead) / 3, 4),
        "median": round(lead[1], 4), "p75": round(lead[1] + (lead[2] - lead[1]) * 0.5, 4),
        "p85": round(lead[1] + (lead[2] - lead[1]) * 0.7, 4), "p95": round(lead[1] + (lead[2] - lead[1]) * 0.9, 4),
        "min": round(lead[0], 4), "max": round(lead[2], 4), "without_cycle_time": None}
    # Cycle: C 1 day, B 2 days, A 10 days (its first start, Mar 3, to its last resolution).
    assert by_key[("Story", "cycle_time")] == {
        "issue_type": "Story", "metric": "cycle_time", "count": 3, "mean": 4.3333, "median": 2.0, "p75": 6.0,
        "p85": 7.6, "p95": 9.2, "min": 1.0, "max": 10.0, "without_cycle_time": 0}
    assert by_key[("All", "cycle_time")]["median"] == 2.0
    rows = csv_rows(client, dated_org, dated, "cycle-time", **MARCH)
    assert rows[0] == ["issue_type", "metric", "count", "mean", "median", "p75", "p85", "p95", "min", "max",
                       "without_cycle_time"]
    assert rows[1:] == [[m["issue_type"], m["metric"], *["" if m[c] is None else str(m[c]) for c in rows[0][2:]]]
                        for m in report["metrics"]]
    # Only A's first resolution falls in this window: lead 9 days 1 hour, cycle 1 day.
    early = report_of(client, dated_org, dated, "cycle-time", **{"from": "2026-03-01", "to": "2026-03-05"})
    assert [(m["metric"], m["count"], m["median"]) for m in early["metrics"] if m["issue_type"] == "All"] == [
        ("lead_time", 1, round(9 + HOUR, 4)), ("cycle_time", 1, 1.0)]


def test_control_chart(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = report_of(client, dated_org, dated, "control-chart", rolling=2, **MARCH)
    k = dated.keys
    assert [(p["issue_key"], p["days"], p["rolling_mean"], p["rolling_stdev"]) for p in report["points"]] == [
        (k["C"], 1.0, 1.0, None), (k["A"], 10.0, 5.5, round(math.sqrt(40.5), 4)),
        (k["B"], 2.0, 6.0, round(math.sqrt(32), 4))]
    assert report["summary"] == {"count": 3, "mean": 4.3333, "median": 2.0, "stdev": round(math.sqrt(73 / 3), 4)}  # deviations² 100/9 + 289/9 + 49/9, over n − 1
    lead = report_of(client, dated_org, dated, "control-chart", metric="lead_time", **MARCH)
    assert [p["days"] for p in lead["points"]] == [round(16 + HOUR, 4), round(18 + HOUR, 4), round(25 + HOUR, 4)]
    assert lead["rolling"] == 1
    rows = csv_rows(client, dated_org, dated, "control-chart", rolling=2, **MARCH)
    assert rows[1:] == [[p["issue_key"], p["issue_type"], p["resolved_at"], str(p["days"]), str(p["rolling_mean"]),
                         "" if p["rolling_stdev"] is None else str(p["rolling_stdev"])] for p in report["points"]]


def test_time_in_status(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = report_of(client, dated_org, dated, "time-in-status", **MARCH)
    k = dated.keys
    assert {row["issue_key"]: row["days_by_status"] for row in report["issues"]} == {
        k["A"]: {"To Do": round(8 + HOUR + 3, 4), "In Progress": 2.0, "Done": 5.0},  # reopened: To Do twice
        k["B"]: {"To Do": round(23 + HOUR, 4), "In Progress": 2.0},
        k["C"]: {"To Do": round(15 + HOUR, 4), "In Progress": 1.0}}
    to_do = sorted([11 + HOUR, 23 + HOUR, 15 + HOUR])
    assert report["statuses"] == [
        {"status": "To Do", "category": "todo", "issues": 3, "total_days": round(sum(to_do), 4),
         "mean_days": round(sum(to_do) / 3, 4), "median_days": round(to_do[1], 4),
         "p85_days": round(to_do[1] + (to_do[2] - to_do[1]) * 0.7, 4)},
        {"status": "In Progress", "category": "in_progress", "issues": 3, "total_days": 5.0, "mean_days": 1.6667,
         "median_days": 2.0, "p85_days": 2.0},
        {"status": "Done", "category": "done", "issues": 1, "total_days": 5.0, "mean_days": 5.0,
         "median_days": 5.0, "p85_days": 5.0}]
    rows = csv_rows(client, dated_org, dated, "time-in-status", **MARCH)
    assert rows[0] == ["issue_key", "issue_type", "resolved_at", "To Do", "In Progress", "Done"]
    assert rows[1:] == [[r["issue_key"], r["issue_type"], r["resolved_at"],
                         *[str(r["days_by_status"].get(name, 0.0)) for name in rows[0][3:]]] for r in report["issues"]]
