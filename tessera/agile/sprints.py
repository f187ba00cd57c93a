"""Sprints on Scrum boards: create (future), edit, start, complete.

Visibility follows the sprint's project (as JQL's sprint functions do); every change needs
MANAGE_SPRINTS there. A closed sprint never changes again. State moves are compare-and-set
(`WHERE state = ...`), so of two concurrent starts or completions exactly one wins; starting
also locks the board row, so two sprints of a board cannot both become its one active sprint."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import agile_fields
from tessera.agile.models import Board, Sprint, SprintBoard
from tessera.agile.scope import do_snapshot, sync_scope_changes
from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.events.outbox import emit
from tessera.events.types import SprintCreated, SprintEvent, SprintStarted, SprintUpdated
from tessera.issues.references import catalog_for
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

SPRINT_STATES = ("future", "active", "closed")
DEFAULT_LENGTH = timedelta(days=14)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _when(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidInput("A date and time is ISO 8601, e.g. 2026-03-02T09:00:00Z.", field=field)
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= moment <= LATEST:
        raise InvalidInput("Sprint dates are between 1970 and 9000.", field=field)
    return moment.astimezone(UTC)


def _check_dates(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidInput("A sprint ends after it starts.", field="end_at")


async def access_sprint(session: AsyncSession, actor: Actor, sprint_id: int,
                        permission: Permission = Permission.BROWSE_PROJECTS
                        ) -> tuple[Sprint, Project, SprintBoard | None]:
    """A sprint in a project the actor may browse (else NotFound, as for a missing one), with
    its board link when it was planned on a board."""
    row = (await session.execute(
        select(Sprint, Project, SprintBoard).join(Project, Project.id == Sprint.project_id)
        .outerjoin(SprintBoard, and_(SprintBoard.organization_id == Sprint.organization_id,
                                     SprintBoard.sprint_id == Sprint.id))
        .where(Sprint.organization_id == actor.organization_id, Sprint.id == sprint_id))).first()
    if row is None:
        raise NotFound("Sprint not found.")
    sprint, project, link = row
    try:
        await authorize(session, actor, Permission.BROWSE_PROJECTS, project)
    except NotFound:
        raise NotFound("Sprint not found.") from None
    if permission is not Permission.BROWSE_PROJECTS:
        await authorize(session, actor, permission, project)
    return sprint, project, link


async def board_sprints(session: AsyncSession, organization_id: int, board_id: int,
                        states: tuple[str, ...] = SPRINT_STATES) -> list[Sprint]:
    """Oldest first (creation order is planning order)."""
    return list((await session.scalars(
        select(Sprint).join(SprintBoard, and_(SprintBoard.organization_id == Sprint.organization_id,
                                              SprintBoard.sprint_id == Sprint.id))
        .where(SprintBoard.organization_id == organization_id, SprintBoard.board_id == board_id,
               Sprint.state.in_(list(states))).order_by(Sprint.id))).all())


async def sprint_links(session: AsyncSession, organization_id: int, sprint_ids: list[int]) -> dict[int, SprintBoard]:
    if not sprint_ids:
        return {}
    rows = await session.scalars(select(SprintBoard).where(SprintBoard.organization_id == organization_id,
                                                           SprintBoard.sprint_id.in_(sprint_ids)))
    return {link.sprint_id: link for link in rows.all()}


async def check_create_sprint(session: AsyncSession, *, actor: Actor, board: Board, project: Project,
                              spec: Mapping[str, Any]) -> Sprint:
    """A future sprint on a Scrum board, in the board's project. Unnamed: "<board> Sprint N"."""
    if board.board_type != "scrum":
        raise InvalidInput("Only Scrum boards have sprints.", field="board_id", code="not_a_scrum_board")
    await authorize(session, actor, Permission.MANAGE_SPRINTS, project)
    start, end = _when(spec.get("start_at"), "start_at"), _when(spec.get("end_at"), "end_at")
    _check_dates(start, end)
    name = str(spec.get("name") or "").strip()
    if not name:
        count = await session.scalar(select(func.count()).select_from(SprintBoard).where(
            SprintBoard.organization_id == actor.organization_id, SprintBoard.board_id == board.id)) or 0
        name = f"{board.name[:230]} Sprint {count + 1}"
    if len(name) > 255:
        raise InvalidInput("A sprint's name is at most 255 characters.", field="name")
    sprint = Sprint(organization_id=actor.organization_id, project_id=project.id, name=name, state="future",
                    goal=str(spec.get("goal") or ""), start_at=start, end_at=end)
    session.add(sprint)
    await session.flush()
    session.add(SprintBoard(organization_id=actor.organization_id, sprint_id=sprint.id, board_id=board.id))
    await session.flush()
    await emit_sprint_event(session, actor, sprint, SprintCreated, board_id=board.id)
    return sprint


async def check_update_sprint(session: AsyncSession, *, actor: Actor, sprint: Sprint, project: Project,
                              spec: Mapping[str, Any]) -> Sprint:
    """Name, goal and dates of a future or active sprint (only the keys present change)."""
    await authorize(session, actor, Permission.MANAGE_SPRINTS, project)
    if sprint.state == "closed":
        raise Conflict("A closed sprint cannot be changed.", code="sprint_closed")
    values: dict[str, Any] = {}
    if spec.get("name") is not None:
        name = str(spec["name"]).strip()
        if not name or len(name) > 255:
            raise InvalidInput("A sprint's name is 1 to 255 characters.", field="name")
        values["name"] = name
    if spec.get("goal") is not None:
        values["goal"] = str(spec["goal"])
    for key in ("start_at", "end_at"):
        if key in spec:
            values[key] = _when(spec[key], key)
    _check_dates(values.get("start_at", sprint.start_at), values.get("end_at", sprint.end_at))
    if values:
        await do_change_sprint(session, sprint, sprint.state, **values)
        await emit_sprint_event(session, actor, sprint, SprintUpdated, changed=sorted(values))
    return sprint


async def do_change_sprint(session: AsyncSession, sprint: Sprint, expected_state: str, **values: Any) -> None:
    """Compare-and-set on the state: a concurrent start or completion makes this a Conflict."""
    result = await session.execute(
        update(Sprint).where(Sprint.id == sprint.id, Sprint.organization_id == sprint.organization_id,
                             Sprint.state == expected_state)
        .values(**values, updated_at=_now()).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("The sprint was changed by someone else; reload it and try again.", code="sprint_changed")
    await session.refresh(sprint)


async def check_start_sprint(session: AsyncSession, *, actor: Actor, sprint: Sprint, project: Project,
                             link: SprintBoard | None, spec: Mapping[str, Any], at: datetime | None = None) -> Sprint:
    """future → active, with a goal and dates (default: from now for two weeks). A board has one
    active sprint unless it allows parallel sprints. Records what the sprint starts with."""
    await authorize(session, actor, Permission.MANAGE_SPRINTS, project)
    if sprint.state != "future":
        raise Conflict(f"Only a future sprint can be started; this one is {sprint.state}.", code="sprint_not_future")
    at = at or _now()
    start = _when(spec.get("start_at"), "start_at") or sprint.start_at or at
    end = _when(spec.get("end_at"), "end_at") or sprint.end_at or min(start + DEFAULT_LENGTH, LATEST)
    _check_dates(start, end)
    if link is not None and link.board_id is not None:
        query = select(Board).where(Board.id == link.board_id, Board.organization_id == actor.organization_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        board = await session.scalar(query)
        if board is not None and not board.allow_parallel_sprints:
            active = await board_sprints(session, actor.organization_id, board.id, ("active",))
            if active:
                raise Conflict(f"Sprint '{active[0].name}' is already active on this board; complete it first, or "
                               "allow parallel sprints on the board.", code="sprint_already_active",
                               data={"active_sprint_id": active[0].id})
    values: dict[str, Any] = {"state": "active", "start_at": start, "end_at": end}
    if spec.get("goal") is not None:
        values["goal"] = str(spec["goal"])
    await do_change_sprint(session, sprint, "future", **values)
    if link is None:
        link = SprintBoard(organization_id=actor.organization_id, sprint_id=sprint.id, board_id=None)
        session.add(link)
    link.activated_at = at
    await session.flush()
    catalog = await catalog_for(session, actor)
    committed = await do_snapshot(session, sprint=sprint, fields=agile_fields(catalog), catalog=catalog, at=at,
                                  actor_id=actor.user_id, completing=False)
    await emit_sprint_event(session, actor, sprint, SprintStarted, board_id=link.board_id, goal=sprint.goal,
                start_at=start.isoformat(), end_at=end.isoformat(), issue_count=len(committed["committed"]))
    return sprint


async def access_next_sprint(session: AsyncSession, actor: Actor, sprint: Sprint, ref: object) -> Sprint | None:
    """Where a completing sprint's open issues go: None for the backlog, else a future or active sprint."""
    if ref is None or (isinstance(ref, str) and ref.strip().lower() == "backlog"):
        return None
    try:
        target, _, _ = await access_sprint(session, actor, _sprint_id(ref))
    except NotFound:
        raise InvalidInput(f"The sprint '{str(ref)[:100]}' does not exist.", field="move_open_issues_to") from None
    if target.id == sprint.id or target.state == "closed":
        raise InvalidInput("Open issues move to the backlog or to a future or active sprint.",
                           field="move_open_issues_to")
    return target


def _sprint_id(ref: object) -> int:
    found = parse_id(ref)
    if found is None:
        raise NotFound("Sprint not found.")
    return found


async def emit_sprint_event(session: AsyncSession, actor: Actor, sprint: Sprint, event_class: type[SprintEvent],
                            **extra: Any) -> None:
    """`extra`: the fields of `event_class` beyond those of every sprint event."""
    await emit(session, event_class(sprint_id=sprint.id, sprint_name=sprint.name, state=sprint.state,
                                    project_id=sprint.project_id, user_id=actor.user_id,
                                    timestamp=_now().isoformat(), **extra),
               organization_id=sprint.organization_id, aggregate_id=sprint.id, actor_id=actor.user_id)


async def do_sync_sprint(session: AsyncSession, *, actor: Actor, sprint: Sprint, link: SprintBoard | None) -> int:
    """Bring the sprint's scope record up to date with the issues' history (started sprints)."""
    if link is None or link.activated_at is None:
        return 0
    return await sync_scope_changes(session, sprint=sprint, activated_at=link.activated_at,
                                    fields=agile_fields(await catalog_for(session, actor)))


def sprint_view(sprint: Sprint, link: SprintBoard | None) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {"id": sprint.id, "name": sprint.name, "state": sprint.state, "goal": sprint.goal,
            "project_id": sprint.project_id, "board_id": link.board_id if link else None,
            "start_at": iso(sprint.start_at), "end_at": iso(sprint.end_at), "completed_at": iso(sprint.completed_at),
            "activated_at": iso(link.activated_at if link else None)}
