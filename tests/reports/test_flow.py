"""Lead and cycle time, control chart, time in status, cumulative flow and created vs resolved
against values worked out by hand from dated_world's history (times are in days; A was created
Feb 23 09:00, resolved Mar 4, reopened, resolved again Mar 13 10:00; B and C are in its
docstring)."""

from __future__ import annotations

import csv
import io
import math
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from tests.factories.dated_world import DatedWorld
from tests.support import OrgHandle

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
HOUR = 1 / 24


def get(client: TestClient, org: OrgHandle, world: DatedWorld, report: str, **params: object) -> dict:
    response = client.get(f"/v2/projects/{world.project['id']}/reports/{report}", params=params, headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()


def csv_rows(client: TestClient, org: OrgHandle, world: DatedWorld, report: str, **params: object) -> list[list[str]]:
    response = client.get(f"/v2/projects/{world.project['id']}/reports/{report}", params={**params, "format": "csv"},
                          headers=org.headers)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text)))


def test_lead_and_cycle_time_per_issue_type(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = get(client, dated_org, dated, "cycle-time", **MARCH)
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
    early = get(client, dated_org, dated, "cycle-time", **{"from": "2026-03-01", "to": "2026-03-05"})
    assert [(m["metric"], m["count"], m["median"]) for m in early["metrics"] if m["issue_type"] == "All"] == [
        ("lead_time", 1, round(9 + HOUR, 4)), ("cycle_time", 1, 1.0)]


def test_control_chart(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = get(client, dated_org, dated, "control-chart", rolling=2, **MARCH)
    k = dated.keys
    assert [(p["issue_key"], p["days"], p["rolling_mean"], p["rolling_stdev"]) for p in report["points"]] == [
        (k["C"], 1.0, 1.0, None), (k["A"], 10.0, 5.5, round(math.sqrt(40.5), 4)),
        (k["B"], 2.0, 6.0, round(math.sqrt(32), 4))]
    assert report["summary"] == {"count": 3, "mean": 4.3333, "median": 2.0, "stdev": round(math.sqrt(73 / 3), 4)}  # deviations² 100/9 + 289/9 + 49/9, over n − 1
    lead = get(client, dated_org, dated, "control-chart", metric="lead_time", **MARCH)
    assert [p["days"] for p in lead["points"]] == [round(16 + HOUR, 4), round(18 + HOUR, 4), round(25 + HOUR, 4)]
    assert lead["rolling"] == 1
    rows = csv_rows(client, dated_org, dated, "control-chart", rolling=2, **MARCH)
    assert rows[1:] == [[p["issue_key"], p["issue_type"], p["resolved_at"], str(p["days"]), str(p["rolling_mean"]),
                         "" if p["rolling_stdev"] is None else str(p["rolling_stdev"])] for p in report["points"]]


def test_time_in_status(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = get(client, dated_org, dated, "time-in-status", **MARCH)
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


def test_cumulative_flow(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    first_week = get(client, dated_org, dated, "cumulative-flow", **{"from": "2026-03-01", "to": "2026-03-05"})
    assert [s["name"] for s in first_week["statuses"]] == ["To Do", "In Progress", "Done"]
    # End of each day: A starts on the 3rd and is done on the 4th; the bug F is created on the 5th.
    assert [(d["date"], d["counts"]) for d in first_week["days"]] == [
        ("2026-03-01", [5, 0, 0]), ("2026-03-02", [5, 0, 0]), ("2026-03-03", [4, 1, 0]), ("2026-03-04", [4, 0, 1]),
        ("2026-03-05", [5, 0, 1])]
    # Later, most issues have not changed since before the window (counted without replay), D has.
    later = get(client, dated_org, dated, "cumulative-flow", **{"from": "2026-03-21", "to": "2026-03-22"})
    assert [s["name"] for s in later["statuses"]] == ["To Do", "Done"]
    assert [d["counts"] for d in later["days"]] == [[3, 3], [3, 3]]
    rows = csv_rows(client, dated_org, dated, "cumulative-flow", **{"from": "2026-03-01", "to": "2026-03-05"})
    assert rows == [["date", "To Do", "In Progress", "Done"]] + \
        [[d["date"], *[str(n) for n in d["counts"]]] for d in first_week["days"]]


def test_created_vs_resolved(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = get(client, dated_org, dated, "created-vs-resolved", interval="week",
                 **{"from": "2026-02-23", "to": "2026-03-15"})
    # Resolutions come from the history: A's on Mar 4 and Mar 13 both count.
    assert [(p["period_start"], p["created"], p["resolved"], p["created_cumulative"], p["resolved_cumulative"])
            for p in report["periods"]] == [("2026-02-23", 5, 0, 5, 0), ("2026-03-02", 1, 1, 6, 1),
                                            ("2026-03-09", 0, 2, 6, 3)]
    daily = get(client, dated_org, dated, "created-vs-resolved", **{"from": "2026-03-04", "to": "2026-03-05"})
    assert [(p["created"], p["resolved"]) for p in daily["periods"]] == [(0, 1), (1, 0)]
    rows = csv_rows(client, dated_org, dated, "created-vs-resolved", interval="week",
                    **{"from": "2026-02-23", "to": "2026-03-15"})
    assert rows[1:] == [[str(p[c]) for c in rows[0]] for p in report["periods"]]


def test_every_report_draws_valid_svg_with_escaped_text(client: TestClient, dated_org: OrgHandle,
                                                        dated: DatedWorld) -> None:
    """The project and sprint names hold <, > and &: the charts must stay well-formed XML."""
    base = f"/v2/projects/{dated.project['id']}/reports"
    for report, params in (("burndown", {"sprint_id": dated.sprint1["id"]}), ("burnup", {"sprint_id": dated.sprint1["id"]}),
                           ("velocity", {"period": "1y"}), ("cycle-time", MARCH), ("control-chart", MARCH),
                           ("cumulative-flow", MARCH), ("created-vs-resolved", MARCH), ("time-in-status", MARCH),
                           ("velocity", {"period": "2d"})):
        response = client.get(f"{base}/{report}", params={**params, "format": "svg"}, headers=dated_org.headers)
        assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
        root = ElementTree.fromstring(response.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", report
        assert "<1>" not in response.text and "Reports <&>" not in response.text
    accepted = client.get(f"{base}/burndown", params={"sprint_id": dated.sprint1["id"]},
                          headers={**dated_org.headers, "Accept": "image/svg+xml"})
    title = ElementTree.fromstring(accepted.content).find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == 'Sprint <1> & "one": burndown (Story Points)'
