"""Two-week sprints planted into a bulk-loaded project, with the history a team's planning
would have written, so sprint reports and dashboards have realistic data at scale.

Sprints run back to back from the first Monday after the project's first issue until now (the
last one active), on a new Scrum board. Every resolved Story, Task or Bug was in the sprint in
which it was resolved: planned into it an hour before its start, or added mid-sprint if created
later; a fifth of them were first in the sprint before and moved on when that one completed.
Unresolved issues of the last 30 days are in the active sprint if in progress, a quarter of
those still to do too.
Each move is a history item of the Sprint field (as an issue edit writes it) and each issue's
Sprint value is its last sprint; like `tessera load`, this writes no outbox events, and the
moves do not change the issues' `updated` time."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from tessera.agile.boards import check_create_board
from tessera.agile.fields import agile_fields, history_field_id
from tessera.agile.models import Sprint, SprintBoard
from tessera.db.engine import Database
from tessera.demo.table_writers import table_writer
from tessera.demo.workspace import actor_for
from tessera.errors import InvalidInput, NotFound
from tessera.issues.models import ChangeGroup, Issue
from tessera.issues.references import load_catalog
from tessera.projects.service import get_project
from tessera.tenancy.models import User
from tessera.tenancy.service import get_organization_by_key

SPRINT = timedelta(days=14)
PLANNING = timedelta(hours=1)  # issues are planned into a sprint this long before it starts
CARRIED_OVER = 0.2
TO_DO_PLANNED = 0.25
RECENT = timedelta(days=30)  # older unresolved issues stay in the backlog
GROUP_COLUMNS = ("id", "organization_id", "issue_id", "author_id", "created_at")
ITEM_COLUMNS = ("organization_id", "group_id", "issue_id", "field", "field_id", "field_type", "from_value",
                "from_string", "to_value", "to_string", "author_id", "created_at")
VALUE_COLUMNS = ("organization_id", "issue_id", "field_id", "value_ref")


@dataclass(frozen=True)
class PlantedSprints:
    board_id: int
    sprints: int
    issues_in_sprints: int
    moves: int

    def as_dict(self) -> dict[str, int]:
        return {"board_id": self.board_id, "sprints": self.sprints, "issues_in_sprints": self.issues_in_sprints,
                "moves": self.moves}


def _sprint_starts(first_issue: datetime, now: datetime) -> list[datetime]:
    day = first_issue.replace(hour=9, minute=0, second=0, microsecond=0)
    start = day + timedelta(days=(7 - day.weekday()) % 7 or 7)
    starts = []
    while start <= now:
        starts.append(start)
        start += SPRINT
    return starts


async def plant_sprints(database: Database, *, org_key: str, project_key: str, seed: int = 1,
                        now: datetime | None = None, progress: Callable[[str], None] | None = None
                        ) -> PlantedSprints:
    """For a project without sprints yet (a fresh `tessera load`)."""
    now = now or datetime.now(UTC)
    report = progress or (lambda _message: None)
    async with database.unit_of_work() as session:
        organization = await get_organization_by_key(session, org_key)
        if organization is None:
            raise NotFound(f"Organization {org_key} not found.")
        admin = await session.scalar(select(User).where(User.organization_id == organization.id,
                                                        User.role == "admin", User.active.is_(True)).order_by(User.id))
        project = await get_project(session, organization.id, project_key)
        if admin is None or project is None:
            raise NotFound(f"Project {project_key} (or an administrator) not found in {org_key}.")
        actor = actor_for(admin)
        catalog = await load_catalog(session, organization.id)
        sprint_field = agile_fields(catalog).sprint
        board = await check_create_board(session, actor=actor, spec={"name": f"{project.key} team", "type": "scrum",
                                                                     "project_id": project.id})
        standard = {t.id for t in catalog.issue_types if t.hierarchy_level == 0}
        done = {s.id for s in catalog.statuses if s.category == "done"}
        started = {s.id for s in catalog.statuses if s.category == "in_progress"}
        issues = (await session.execute(select(Issue.id, Issue.created_at, Issue.resolved_at, Issue.status_id).where(
            Issue.organization_id == organization.id, Issue.project_id == project.id,
            Issue.issue_type_id.in_(sorted(standard))).order_by(Issue.id))).all()
        if not issues:
            raise InvalidInput(f"Project {project.key} has no issues to plan.")
        starts = _sprint_starts(min(issue.created_at for issue in issues), now)
        if not starts:
            raise InvalidInput("The project's issues are too recent for a completed sprint.")
        sprint_ids = []
        for index, start in enumerate(starts):
            active = index == len(starts) - 1
            values = {"organization_id": organization.id, "project_id": project.id,
                      "name": f"{project.key} Sprint {index + 1}", "state": "active" if active else "closed",
                      "goal": "", "start_at": start, "end_at": start + SPRINT,
                      "completed_at": None if active else start + SPRINT - PLANNING, "created_at": start - SPRINT,
                      "updated_at": start + SPRINT}
            sprint_ids.append((await session.execute(insert(Sprint).values(**values).returning(Sprint.id))).scalar_one())
        await session.execute(insert(SprintBoard), [
            {"organization_id": organization.id, "sprint_id": sprint_id, "board_id": board.id, "activated_at": start}
            for sprint_id, start in zip(sprint_ids, starts, strict=True)])
    rng = random.Random(seed)
    names = {sprint_id: f"{project.key} Sprint {index + 1}" for index, sprint_id in enumerate(sprint_ids)}
    moves: list[tuple[int, datetime, int | None, int]] = []  # (issue, when, from sprint, to sprint)
    final: dict[int, int] = {}

    def index_at(moment: datetime) -> int | None:
        if moment < starts[0]:
            return None
        return min(int((moment - starts[0]) / SPRINT), len(starts) - 1)

    def entering(created: datetime, start: datetime, limit: datetime) -> datetime:
        """Planned before the start, or added an hour after creation (before `limit`)."""
        if created < start - PLANNING:
            return start - PLANNING
        return min(created + PLANNING, created + (limit - created) / 2)

    for issue in issues:
        if issue.resolved_at is not None and issue.status_id in done:
            index = index_at(issue.resolved_at)
            if index is None:
                continue
            if index > 0 and rng.random() < CARRIED_OVER and issue.created_at < starts[index - 1] + SPRINT / 2:
                first = sprint_ids[index - 1]
                moves.append((issue.id, entering(issue.created_at, starts[index - 1], starts[index]), None, first))
                moves.append((issue.id, starts[index] - PLANNING, first, sprint_ids[index]))
            else:
                moves.append((issue.id, entering(issue.created_at, starts[index], issue.resolved_at), None,
                              sprint_ids[index]))
            final[issue.id] = sprint_ids[index]
        elif issue.created_at >= now - RECENT and issue.status_id not in done and \
                (issue.status_id in started or rng.random() < TO_DO_PLANNED):
            moves.append((issue.id, entering(issue.created_at, starts[-1], now), None, sprint_ids[-1]))
            final[issue.id] = sprint_ids[-1]
    writer = table_writer(database, report)
    org, author, field_id = organization.id, admin.id, history_field_id(sprint_field)
    async with database.unit_of_work() as session:
        await writer.prepare(session)
        group_ids = await writer.allocate_ids(session, ChangeGroup.__tablename__, len(moves))
        groups, items = [], []
        for group_id, (issue_id, when, before, after) in zip(group_ids, moves, strict=True):
            stamp = writer.stamp(int(when.timestamp()))
            groups.append((group_id, org, issue_id, author, stamp))
            items.append((org, group_id, issue_id, sprint_field.name, field_id, "custom",
                          str(before) if before else None, names.get(before) if before else None, str(after),
                          names[after], author, stamp))
        await writer.write_rows(session, "change_groups", GROUP_COLUMNS, groups)
        await writer.write_rows(session, "change_items", ITEM_COLUMNS, items)
        await writer.write_rows(session, "custom_field_values", VALUE_COLUMNS,
                                [(org, issue_id, sprint_field.id, sprint_id) for issue_id, sprint_id in final.items()])
        await writer.finish(session)
    report(f"{project.key}: {len(starts)} sprints on board {board.id}, {len(final):,} issues in sprints, "
           f"{len(moves):,} moves")
    return PlantedSprints(board_id=board.id, sprints=len(starts), issues_in_sprints=len(final), moves=len(moves))
