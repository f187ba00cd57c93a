"""A small project with a dated history, written through the services with explicit times, so
the reports' expected values can be worked out by hand (see tests/reports/test_burndown.py and test_velocity.py).

    Feb 23 09:00  A (3 points), B (5), C (2), E (1) created (Stories); F, a Bug, on Mar 5 12:00
    Feb 24 09:00  D (8) created
    Mar  1 10:00  A, B, C, E planned into Sprint 1
    Mar  2 09:00  Sprint 1 starts (planned end Mar 16 09:00)
    Mar  3 10:00  A In Progress        Mar  4 10:00  A Done
    Mar  5 10:00  D added to Sprint 1  Mar  6 10:00  B re-estimated 5 -> 3
    Mar  7 10:00  E removed            Mar  9 10:00  A reopened (To Do)
    Mar 10 10:00  C In Progress        Mar 11 10:00  C Done
    Mar 12 10:00  A In Progress        Mar 13 10:00  A Done
    Mar 16 09:00  Sprint 1 completed; B and D move to Sprint 2
    Mar 16 10:00  Sprint 2 starts (planned end Mar 30 10:00)
    Mar 18 10:00  B In Progress        Mar 20 10:00  B Done
    Mar 30 09:00  Sprint 2 completed; D goes to the backlog
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tessera.agile.sprint_planning import check_add_to_sprint, check_complete_sprint, check_remove_from_sprint
from tessera.agile.sprints import access_sprint, check_start_sprint
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.issues.creation import check_create_issue_for_view
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.service import access_issue, check_update_issue
from tessera.issues.transitions import check_transition_issue
from tessera.tenancy.auth import authenticate_token
from tests.support import OrgHandle, unique_key

START_PROGRESS, DONE, REOPEN = "21", "31", "11"  # the default workflow: In Progress, Done, To Do
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
HOUR = 1 / 24


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass(frozen=True)
class DatedWorld:
    project: dict
    board: dict
    sprint1: dict
    sprint2: dict
    keys: dict[str, str]


def _ok(response: Any, status: int = 201) -> dict:
    assert response.status_code == status, response.text
    return response.json()


class HistoryWriter:
    """Writes an organization's issues, sprints and transitions through the services at explicit times."""

    def __init__(self, database_url: str, org: OrgHandle) -> None:
        self.database = Database(Settings(database_url=database_url))
        self.token = org.token

    async def run(self, step) -> Any:  # type: ignore[no-untyped-def]
        """One unit of work, as a request would have."""
        async with self.database.unit_of_work() as session:
            actor = await authenticate_token(session, self.token, touch=False)
            return await step(session, actor)

    async def create(self, summary: str, when: datetime, project: dict, issue_type: str = "Story",
                     points: float | None = None) -> str:
        fields = {"story_points": points} if points is not None else {}

        async def step(session, actor):  # type: ignore[no-untyped-def]
            data = IssueCreate(project_id=project["id"], issue_type=issue_type, summary=summary, custom_fields=fields)
            return (await check_create_issue_for_view(session, actor=actor, data=data, at=when)).issue.key
        return await self.run(step)

    async def transition(self, key: str, transition: str, when: datetime) -> None:
        async def step(session, actor):  # type: ignore[no-untyped-def]
            issue, project = await access_issue(session, actor, key)
            await check_transition_issue(session, actor=actor, issue=issue, project=project,
                                         transition_ref=transition, at=when)
        await self.run(step)

    async def estimate(self, key: str, points: float, when: datetime) -> None:
        async def step(session, actor):  # type: ignore[no-untyped-def]
            issue, project = await access_issue(session, actor, key)
            await check_update_issue(session, actor=actor, issue=issue, project=project,
                                     data=IssueUpdate(custom_fields={"story_points": points}), at=when)
        await self.run(step)

    async def plan(self, sprint_id: int, keys: list[str], when: datetime) -> None:
        async def step(session, actor):  # type: ignore[no-untyped-def]
            sprint, _, _ = await access_sprint(session, actor, sprint_id)
            await check_add_to_sprint(session, actor=actor, sprint=sprint, refs=keys, at=when)
        await self.run(step)

    async def unplan(self, sprint_id: int, key: str, when: datetime) -> None:
        async def step(session, actor):  # type: ignore[no-untyped-def]
            sprint, _, _ = await access_sprint(session, actor, sprint_id)
            issue, project = await access_issue(session, actor, key)
            await check_remove_from_sprint(session, actor=actor, sprint=sprint, issue=issue, project=project,
                                           at=when)
        await self.run(step)

    async def start(self, sprint_id: int, begin: datetime, end: datetime) -> None:
        async def step(session, actor):  # type: ignore[no-untyped-def]
            sprint, project, link = await access_sprint(session, actor, sprint_id)
            await check_start_sprint(session, actor=actor, sprint=sprint, project=project, link=link,
                                     spec={"start_at": begin, "end_at": end}, at=begin)
        await self.run(step)

    async def complete(self, sprint_id: int, when: datetime, move_to: object = None) -> None:
        async def step(session, actor):  # type: ignore[no-untyped-def]
            sprint, project, link = await access_sprint(session, actor, sprint_id)
            await check_complete_sprint(session, actor=actor, sprint=sprint, project=project, link=link,
                                        move_open_issues_to=move_to, at=when)
        await self.run(step)


async def _history(writer: HistoryWriter, project: dict, sprint1: int, sprint2: int) -> dict[str, str]:
    keys = {}
    for name, points in (("A", 3), ("B", 5), ("C", 2), ("E", 1)):
        keys[name] = await writer.create(f"Story {name}", at(23, 9, month=2), project, points=points)
    keys["D"] = await writer.create("Story D", at(24, 9, month=2), project, points=8)
    await writer.plan(sprint1, [keys["A"], keys["B"], keys["C"], keys["E"]], at(1, 10))
    await writer.start(sprint1, at(2, 9), at(16, 9))
    await writer.transition(keys["A"], START_PROGRESS, at(3, 10))
    await writer.transition(keys["A"], DONE, at(4, 10))
    await writer.plan(sprint1, [keys["D"]], at(5, 10))
    keys["F"] = await writer.create("Bug F", at(5, 12), project, issue_type="Bug")
    await writer.estimate(keys["B"], 3, at(6, 10))
    await writer.unplan(sprint1, keys["E"], at(7, 10))
    await writer.transition(keys["A"], REOPEN, at(9, 10))
    await writer.transition(keys["C"], START_PROGRESS, at(10, 10))
    await writer.transition(keys["C"], DONE, at(11, 10))
    await writer.transition(keys["A"], START_PROGRESS, at(12, 10))
    await writer.transition(keys["A"], DONE, at(13, 10))
    await writer.complete(sprint1, at(16, 9), move_to=sprint2)
    await writer.start(sprint2, at(16, 10), at(30, 10))
    await writer.transition(keys["B"], START_PROGRESS, at(18, 10))
    await writer.transition(keys["B"], DONE, at(20, 10))
    await writer.complete(sprint2, at(30, 9))
    await writer.database.dispose()
    return keys


def build_dated_world(client: TestClient, database_url: str, org: OrgHandle) -> DatedWorld:
    h = org.headers
    project = _ok(client.post("/v2/projects", json={"key": unique_key("R")[:8], "name": "Reports <&> \"Project\""},
                              headers=h))
    board = _ok(client.post("/v2/boards", json={"name": "Team board", "project_id": project["id"]}, headers=h))
    sprint1 = _ok(client.post(f"/v2/boards/{board['id']}/sprints", json={"name": "Sprint <1> & \"one\""}, headers=h))
    sprint2 = _ok(client.post(f"/v2/boards/{board['id']}/sprints", json={"name": "Sprint 2"}, headers=h))
    keys = asyncio.run(_history(HistoryWriter(database_url, org), project, sprint1["id"], sprint2["id"]))
    return DatedWorld(project, board, sprint1, sprint2, keys)


def report_of(client: TestClient, org: OrgHandle, world: DatedWorld, report: str, **params: object) -> dict:
    """The report's JSON for the dated project, asserting it answered 200."""
    response = client.get(f"/v2/projects/{world.project['id']}/reports/{report}", params=params, headers=org.headers)
    assert response.status_code == 200, response.text
    return response.json()


def csv_rows(client: TestClient, org: OrgHandle, world: DatedWorld, report: str, **params: object) -> list[list[str]]:
    """The report as CSV rows for the dated project, asserting it answered 200."""
    response = client.get(f"/v2/projects/{world.project['id']}/reports/{report}", params={**params, "format": "csv"},
                          headers=org.headers)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text)))
