"""Cumulative flow and created vs resolved against values worked out by hand from dated_world's
history, in JSON and CSV."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.dated_world import DatedWorld, csv_rows, report_of
from tests.support import OrgHandle


def test_cumulative_flow(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    first_week = report_of(client, dated_org, dated, "cumulative-flow", **{"from": "2026-03-01", "to": "2026-03-05"})
    assert [s["name"] for s in first_week["statuses"]] == ["To Do", "In Progress", "Done"]
    # End of each day: A starts on the 3rd and is done on the 4th; the bug F is created on the 5th.
    assert [(d["date"], d["counts"]) for d in first_week["days"]] == [
        ("2026-03-01", [5, 0, 0]), ("2026-03-02", [5, 0, 0]), ("2026-03-03", [4, 1, 0]), ("2026-03-04", [4, 0, 1]),
        ("2026-03-05", [5, 0, 1])]
    # Later, most issues have not changed since before the window (counted without replay), D has.
    later = report_of(client, dated_org, dated, "cumulative-flow", **{"from": "2026-03-21", "to": "2026-03-22"})
    assert [s["name"] for s in later["statuses"]] == ["To Do", "Done"]
    assert [d["counts"] for d in later["days"]] == [[3, 3], [3, 3]]
    rows = csv_rows(client, dated_org, dated, "cumulative-flow", **{"from": "2026-03-01", "to": "2026-03-05"})
    assert rows == [["date", "To Do", "In Progress", "Done"]] + \
        [[d["date"], *[str(n) for n in d["counts"]]] for d in first_week["days"]]


def test_created_vs_resolved(client: TestClient, dated_org: OrgHandle, dated: DatedWorld) -> None:
    report = report_of(client, dated_org, dated, "created-vs-resolved", interval="week",
                 **{"from": "2026-02-23", "to": "2026-03-15"})
    # Resolutions come from the history: A's on Mar 4 and Mar 13 both count.
    assert [(p["period_start"], p["created"], p["resolved"], p["created_cumulative"], p["resolved_cumulative"])
            for p in report["periods"]] == [("2026-02-23", 5, 0, 5, 0), ("2026-03-02", 1, 1, 6, 1),
                                            ("2026-03-09", 0, 2, 6, 3)]
    daily = report_of(client, dated_org, dated, "created-vs-resolved", **{"from": "2026-03-04", "to": "2026-03-05"})
    assert [(p["created"], p["resolved"]) for p in daily["periods"]] == [(0, 1), (1, 0)]
    rows = csv_rows(client, dated_org, dated, "created-vs-resolved", interval="week",
                    **{"from": "2026-02-23", "to": "2026-03-15"})
    assert rows[1:] == [[str(p[c]) for c in rows[0]] for p in report["periods"]]
