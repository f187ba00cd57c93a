"""Which sprint a report is about, and when it really ran."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.models import Sprint, SprintBoard
from tessera.agile.sprints import access_sprint
from tessera.db.refs import parse_id
from tessera.errors import InvalidInput, NotFound
from tessera.projects.models import Project
from tessera.reports.periods import iso
from tessera.tenancy.actor import Actor

DEFAULT_LENGTH = timedelta(days=14)


@dataclass(frozen=True)
class SprintRun:
    sprint: Sprint
    started: datetime  # when it was started (activated), else its planned start
    planned_end: datetime
    completed: datetime | None
    # Not started yet: reports show its scope as of now against its planned dates (as Jira's
    # burndown of a future sprint does), with no progress.
    planned: bool = False

    @property
    def key(self) -> str:
        """The sprint as its field's history items name it."""
        return str(self.sprint.id)

    def view(self) -> dict:
        sprint = self.sprint
        return {"id": sprint.id, "name": sprint.name, "state": sprint.state, "goal": sprint.goal,
                "start_at": iso(self.started), "end_at": iso(self.planned_end), "completed_at": iso(self.completed),
                "started": not self.planned}


def sprint_run(sprint: Sprint, link: SprintBoard | None) -> SprintRun | None:
    """None for a sprint that never started."""
    started = (link.activated_at if link is not None and link.activated_at else None) or \
        (sprint.start_at if sprint.state != "future" else None)
    if started is None:
        return None
    end = sprint.end_at if sprint.end_at is not None and sprint.end_at > started else started + DEFAULT_LENGTH
    return SprintRun(sprint, started, end, sprint.completed_at if sprint.state == "closed" else None)


def planned_run(sprint: Sprint, now: datetime) -> SprintRun:
    """A sprint that never started, on its planned dates (from now when it has none)."""
    start = sprint.start_at or now
    end = sprint.end_at if sprint.end_at is not None and sprint.end_at > start else start + DEFAULT_LENGTH
    return SprintRun(sprint, start, end, None, planned=True)


async def access_report_sprint(session: AsyncSession, actor: Actor, project: Project, ref: object | None,
                               now: datetime) -> SprintRun:
    """The named sprint of `project` (another project's or organization's is not found; one not
    started yet is planned), or by default its latest active sprint, else its latest completed one."""
    if ref is not None and str(ref).strip():
        sprint_id = parse_id(ref)
        if sprint_id is None:
            raise NotFound("Sprint not found.")
        sprint, sprint_project, link = await access_sprint(session, actor, sprint_id)
        if sprint_project.id != project.id:
            raise NotFound("Sprint not found.")
        return sprint_run(sprint, link) or planned_run(sprint, now)
    runs = await started_runs(session, actor, project)
    active = [run for run in runs if run.sprint.state == "active"]
    if active:
        return max(active, key=lambda run: (run.started, run.sprint.id))
    closed = [run for run in runs if run.completed is not None]
    if closed:
        return max(closed, key=lambda run: (run.completed, run.sprint.id))  # type: ignore[arg-type,return-value]
    raise InvalidInput(f"Project {project.key} has no started sprint; name one with sprint_id.", field="sprint_id",
                       code="no_started_sprint")


async def started_runs(session: AsyncSession, actor: Actor, project: Project) -> list[SprintRun]:
    """The project's sprints that have started (active or completed), latest start first."""
    rows = (await session.execute(
        select(Sprint, SprintBoard).outerjoin(SprintBoard, and_(SprintBoard.organization_id == Sprint.organization_id,
                                                                SprintBoard.sprint_id == Sprint.id))
        .where(Sprint.organization_id == actor.organization_id, Sprint.project_id == project.id,
               Sprint.state.in_(["active", "closed"])))).all()
    runs = [run for run in (sprint_run(sprint, link) for sprint, link in rows) if run is not None]
    return sorted(runs, key=lambda run: (run.started, run.sprint.id), reverse=True)


async def closed_runs(session: AsyncSession, *, organization_id: int, project: Project | None,
                      sprint_ids: list[int] | None, since: datetime, until: datetime, limit: int = 100
                      ) -> list[SprintRun]:
    """Sprints completed in [since, until], oldest first (of a project, or of the given ids)."""
    query = (select(Sprint, SprintBoard).outerjoin(
        SprintBoard, and_(SprintBoard.organization_id == Sprint.organization_id, SprintBoard.sprint_id == Sprint.id))
        .where(Sprint.organization_id == organization_id, Sprint.state == "closed",
               Sprint.completed_at >= since, Sprint.completed_at <= until))
    if project is not None:
        query = query.where(Sprint.project_id == project.id)
    if sprint_ids is not None:
        query = query.where(Sprint.id.in_(sprint_ids))
    rows = (await session.execute(query.order_by(Sprint.completed_at.desc(), Sprint.id.desc()).limit(limit))).all()
    runs = [run for run in (sprint_run(sprint, link) for sprint, link in rows) if run is not None]
    return sorted(runs, key=lambda run: (run.completed, run.sprint.id))  # type: ignore[arg-type,return-value]
