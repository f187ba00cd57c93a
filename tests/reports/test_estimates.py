"""Sprint reports by time tracking estimates (in hours), against values worked out by hand:

    Mar 1 09:00  T1 (original 8h), T2 (16h), T3 (4h) created; 10:00 T1, T2 planned into the sprint
    Mar 2 09:00  the sprint starts (planned end Mar 9 09:00)
    Mar 3 10:00  3h logged on T1 (remaining 8h -> 5h)
    Mar 4 10:00  T3 added                      Mar 5 10:00  T2 re-estimated 16h -> 20h (remaining follows)
    Mar 6 10:00  T1 Done                       Mar 9 09:00  the sprint completes (T2, T3 to the backlog)
"""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from tessera.issues.creation import check_create_issue_for_view
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.service import access_issue, check_update_issue
from tessera.issues.worklogs.service import check_add_worklog
from tests.factories.dated_world import DONE, START_PROGRESS, HistoryWriter, at
from tests.support import OrgHandle, make_org, unique_key

HOUR = 3600


class _TimeWriter(HistoryWriter):
    async def create_estimated(self, summary: str, hours: int, project: dict) -> str:
        async def step(session, actor):  # type: ignore[no-untyped-def]
            data = IssueCreate(project_id=project["id"], issue_type="Story", summary=summary,
                               original_estimate=hours * HOUR)
            return (await check_create_issue_for_view(session, actor=actor, data=data, at=at(1, 9))).issue.key
        return await self.run(step)

    async def log_work(self, key: str, seconds: int, when) -> None:  # type: ignore[no-untyped-def]
        async def step(session, actor):  # type: ignore[no-untyped-def]
            issue, project = await access_issue(session, actor, key)
            await check_add_worklog(session, actor=actor, issue=issue, project=project, time_spent_seconds=seconds,
                                    started=when, at=when)
        await self.run(step)

    async def reestimate(self, key: str, seconds: int, when) -> None:  # type: ignore[no-untyped-def]
        async def step(session, actor):  # type: ignore[no-untyped-def]
            issue, project = await access_issue(session, actor, key)
            await check_update_issue(session, actor=actor, issue=issue, project=project,
                                     data=IssueUpdate(original_estimate=seconds), at=when)
        await self.run(step)


async def _history(writer: _TimeWriter, project: dict, sprint: int) -> dict[str, str]:
    keys = {name: await writer.create_estimated(f"Task {name}", hours, project)
            for name, hours in (("T1", 8), ("T2", 16), ("T3", 4))}
    await writer.plan(sprint, [keys["T1"], keys["T2"]], at(1, 10))
    await writer.start(sprint, at(2, 9), at(9, 9))
    await writer.log_work(keys["T1"], 3 * HOUR, at(3, 10))
    await writer.plan(sprint, [keys["T3"]], at(4, 10))
    await writer.reestimate(keys["T2"], 20 * HOUR, at(5, 10))
    await writer.transition(keys["T1"], START_PROGRESS, at(6, 9))
    await writer.transition(keys["T1"], DONE, at(6, 10))
    await writer.complete(sprint, at(9, 9))
    await writer.database.dispose()
    return keys


@pytest.fixture(scope="module")
def timed(client: TestClient, database_url: str) -> tuple[OrgHandle, dict, dict, dict[str, str]]:
    org = make_org(database_url)
    h = org.headers
    project = client.post("/v2/projects", json={"key": unique_key("T")[:8], "name": "Timed"}, headers=h).json()
    board = client.post("/v2/boards", json={"name": "Timed board", "project_id": project["id"]}, headers=h).json()
    sprint = client.post(f"/v2/boards/{board['id']}/sprints", json={"name": "Timed sprint"}, headers=h).json()
    keys = asyncio.run(_history(_TimeWriter(database_url, org), project, sprint["id"]))
    return org, project, sprint, keys


def _report(client: TestClient, timed: tuple, name: str, **params: object) -> dict:
    org, project, sprint, _ = timed
    response = client.get(f"/v2/projects/{project['id']}/reports/{name}", headers=org.headers,
                          params={"sprint_id": sprint["id"], **params} if name != "velocity" else params)
    assert response.status_code == 200, response.text
    return response.json()


def test_burndown_by_remaining_estimate_follows_logged_work(client: TestClient, timed: tuple) -> None:
    keys = timed[3]
    report = _report(client, timed, "burndown", estimate="remaining_estimate")
    assert report["estimate"] == {"kind": "remaining_estimate", "label": "Remaining estimate (hours)",
                                  "unit": "hours", "field": None}
    assert [(p["at"], p["value"], p["event"], p["issue_key"]) for p in report["remaining"]] == [
        ("2026-03-02T09:00:00Z", 24.0, "start", None),
        ("2026-03-03T10:00:00Z", 21.0, "estimate", keys["T1"]),
        ("2026-03-04T10:00:00Z", 25.0, "added", keys["T3"]),
        ("2026-03-05T10:00:00Z", 29.0, "estimate", keys["T2"]),
        ("2026-03-06T10:00:00Z", 24.0, "completed", keys["T1"]),
        ("2026-03-09T09:00:00Z", 24.0, "end", None)]
    assert report["totals"]["estimate_change"] == 1.0 and report["totals"]["added"] == 4.0
    assert [p["value"] for p in report["actual"]] == [24, 24, 21, 25, 29, 24, 24, 24]


def test_burnup_and_velocity_by_original_estimate(client: TestClient, timed: tuple) -> None:
    burnup = _report(client, timed, "burnup", estimate="original_estimate")
    # Logging work changes no original estimate, so it is not a point.
    assert [p["value"] for p in burnup["scope"]] == [24, 28, 32, 32, 32]
    assert [p["value"] for p in burnup["completed"]] == [0, 0, 0, 8, 8]
    velocity = _report(client, timed, "velocity", period="1y", estimate="original_estimate")
    [sprint] = [s for s in velocity["sprints"] if s["sprint_id"] == timed[2]["id"]]
    assert (sprint["committed"], sprint["completed"], sprint["added"], sprint["removed"]) == (24, 8, 4, 0)
    remaining = _report(client, timed, "velocity", period="1y", estimate="remaining_estimate")
    assert [(s["committed"], s["completed"]) for s in remaining["sprints"]] == [(24, 5)]
    bad = client.get(f"/v2/projects/{timed[1]['id']}/reports/burndown", headers=timed[0].headers,
                     params={"estimate": "time_spent_ish"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "estimate", bad.text
