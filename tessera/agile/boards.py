"""Boards: who may see one, creating, changing and deleting them.

A board is visible to whoever may browse its project and see its saved filter (the filter's
shares are the board's sharing, as in Jira), and always to its owner. It is changed by its
owner, an organization administrator or the project's administrators."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.board_config import (
    default_columns,
    validate_columns,
    validate_jql,
    validate_quick_filters,
    validate_swimlanes,
)
from tessera.agile.models import BOARD_TYPES, Board
from tessera.db.listing import name_contains, page_by_name
from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tessera.events.outbox import emit
from tessera.events.types import BoardCreated, BoardDeleted, BoardEvent, BoardUpdated
from tessera.issues.references import catalog_for
from tessera.jql.filters import check_create_filter, visible_filters_condition
from tessera.jql.models import SavedFilter
from tessera.projects.models import Project
from tessera.projects.service import access_project, browsable_projects_condition
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, has_permission

_CONFIG_KEYS = ("columns", "swimlanes", "quick_filters", "sub_filter", "allow_parallel_sprints")


def visible_boards_condition(actor: Actor):  # type: ignore[no-untyped-def]
    """SQL condition over Board: in a project the actor browses, and owned by the actor or
    built on a filter the actor may see."""
    browsable = select(Project.id).where(browsable_projects_condition(actor))
    sees_filter = exists().where(SavedFilter.id == Board.filter_id, visible_filters_condition(actor))
    return (Board.organization_id == actor.organization_id) & Board.project_id.in_(browsable) & \
        or_(Board.owner_id == actor.user_id, sees_filter)


async def access_board(session: AsyncSession, actor: Actor, board_id: int) -> tuple[Board, Project]:
    row = (await session.execute(select(Board, Project).join(Project, Project.id == Board.project_id)
                                 .where(Board.id == board_id, visible_boards_condition(actor)))).first()
    if row is None:
        raise NotFound("Board not found.")
    return row[0], row[1]


async def may_manage_board(session: AsyncSession, actor: Actor, board: Board, project: Project) -> bool:
    return board.owner_id == actor.user_id or actor.is_org_admin or \
        await has_permission(session, actor, Permission.ADMINISTER_PROJECTS, project)


async def board_filter(session: AsyncSession, actor: Actor, board: Board) -> SavedFilter | None:
    """The board's filter, when the actor may see it (the owner may not, once it is unshared)."""
    if board.filter_id is None:
        return None
    return await session.scalar(select(SavedFilter).where(SavedFilter.id == board.filter_id,
                                                          visible_filters_condition(actor)))


async def _visible_filter(session: AsyncSession, actor: Actor, ref: object) -> SavedFilter:
    filter_id = parse_id(ref)
    found = None if filter_id is None else await session.scalar(
        select(SavedFilter).where(SavedFilter.id == filter_id, visible_filters_condition(actor)))
    if found is None:
        raise InvalidInput(f"The filter '{str(ref)[:100]}' does not exist.", field="filter_id")
    return found


async def _new_filter(session: AsyncSession, actor: Actor, *, board_name: str, project: Project,
                      jql: str) -> SavedFilter:
    """A board made without a filter gets its own, shared with the board's project (as Jira does)."""
    base = f"Filter for {board_name}"[:240]
    taken = set((await session.scalars(select(func.lower(SavedFilter.name)).where(
        SavedFilter.organization_id == actor.organization_id, SavedFilter.owner_id == actor.user_id,
        func.lower(SavedFilter.name).like(base.lower().replace("%", "_") + "%")))).all())
    name = next(candidate for candidate in (base, *(f"{base} ({n})" for n in range(2, len(taken) + 3)))
                if candidate.lower() not in taken)
    return await check_create_filter(session, actor=actor, name=name, jql=jql,
                                     shares=[{"type": "project", "project_id": project.id}])


async def _config(session: AsyncSession, actor: Actor, spec: Mapping[str, Any], board: Board | None
                  ) -> dict[str, Any]:
    """The configuration keys present in `spec`, checked."""
    values: dict[str, Any] = {}
    if spec.get("columns") is not None:
        values["columns"] = validate_columns(await catalog_for(session, actor), spec["columns"])
    if "swimlanes" in spec:
        values["swimlanes"] = await validate_swimlanes(session, actor, spec["swimlanes"])
    if "quick_filters" in spec:
        values["quick_filters"] = await validate_quick_filters(session, actor, spec["quick_filters"],
                                                            board.quick_filters if board else ())
    if spec.get("sub_filter") is not None:
        values["sub_filter"] = await validate_jql(session, actor, spec["sub_filter"], "sub_filter", required=False)
    if spec.get("allow_parallel_sprints") is not None:
        values["allow_parallel_sprints"] = bool(spec["allow_parallel_sprints"])
    return values


async def check_create_board(session: AsyncSession, *, actor: Actor, spec: Mapping[str, Any]) -> Board:
    """`spec`: name, type, project_id, and filter_id or jql (a new filter), columns (default: by
    status category), swimlanes, quick_filters, sub_filter, allow_parallel_sprints."""
    name = str(spec.get("name") or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("A board needs a name of at most 255 characters.", field="name")
    board_type = spec.get("type") or "scrum"
    if board_type not in BOARD_TYPES:
        raise InvalidInput(f"A board is {' or '.join(BOARD_TYPES)}.", field="type")
    ref = spec.get("project_id")
    try:
        project = await access_project(session, actor, ref)
    except NotFound:
        raise InvalidInput(f"The project '{str(ref)[:100]}' does not exist.", field="project_id") from None
    if spec.get("filter_id") is not None and spec.get("jql") is not None:
        raise InvalidInput("Give filter_id or jql, not both.", field="jql")
    config = await _config(session, actor, spec, None)
    if board_type != "kanban" and config.get("sub_filter"):
        raise InvalidInput("Only Kanban boards have a sub-filter.", field="sub_filter")
    if spec.get("filter_id") is not None:
        saved = await _visible_filter(session, actor, spec["filter_id"])
    else:
        jql = await validate_jql(session, actor, spec.get("jql") or f'project = "{project.key}"', "jql")
        saved = await _new_filter(session, actor, board_name=name, project=project, jql=jql)
    config.setdefault("columns", default_columns(await catalog_for(session, actor)))
    config.setdefault("swimlanes", {"type": "none", "queries": []})
    board = Board(organization_id=actor.organization_id, name=name, board_type=board_type, project_id=project.id,
                  filter_id=saved.id, owner_id=actor.user_id, quick_filters=config.pop("quick_filters", []),
                  version=1, **{"sub_filter": "", "allow_parallel_sprints": False, **config})
    session.add(board)
    await session.flush()
    await _emit(session, actor, board, BoardCreated)
    return board


async def check_update_board(session: AsyncSession, *, actor: Actor, board: Board, project: Project,
                             spec: Mapping[str, Any]) -> Board:
    """Only the keys present change. With `version`, a stale copy is refused (409)."""
    if not await may_manage_board(session, actor, board, project):
        raise PermissionDenied("Only the board's owner or an administrator may change it.")
    version = spec.get("version")
    if version is not None and version != board.version:
        raise Conflict("The board was changed by someone else; reload it and try again.", code="version_conflict",
                       data={"current_version": board.version})
    values = await _config(session, actor, spec, board)
    if spec.get("name") is not None:
        name = str(spec["name"]).strip()
        if not name or len(name) > 255:
            raise InvalidInput("A board needs a name of at most 255 characters.", field="name")
        values["name"] = name
    if spec.get("filter_id") is not None:
        values["filter_id"] = (await _visible_filter(session, actor, spec["filter_id"])).id
    if board.board_type != "kanban" and values.get("sub_filter"):
        raise InvalidInput("Only Kanban boards have a sub-filter.", field="sub_filter")
    result = await session.execute(
        update(Board).where(Board.id == board.id, Board.organization_id == board.organization_id,
                            Board.version == board.version)
        .values(**values, version=board.version + 1, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("The board was changed by someone else; reload it and try again.", code="version_conflict")
    await session.refresh(board)
    await _emit(session, actor, board, BoardUpdated, changed=sorted(values))
    return board


async def check_delete_board(session: AsyncSession, *, actor: Actor, board: Board, project: Project) -> None:
    """The board's sprints stay (issues name them); they only lose their board."""
    if not await may_manage_board(session, actor, board, project):
        raise PermissionDenied("Only the board's owner or an administrator may delete it.")
    await _emit(session, actor, board, BoardDeleted)
    await session.delete(board)
    await session.flush()


async def list_boards(session: AsyncSession, actor: Actor, *, project: object = None, board_type: str | None = None,
                      name: str | None = None, start_at: int = 0, max_results: int = 50) -> tuple[list[Board], int]:
    query = select(Board).where(visible_boards_condition(actor))
    if project is not None:
        found = await access_project(session, actor, project)
        query = query.where(Board.project_id == found.id)
    if board_type is not None:
        query = query.where(Board.board_type == board_type)
    if name:
        query = query.where(name_contains(Board.name, name))
    return await page_by_name(session, query, name=Board.name, row_id=Board.id, start_at=start_at,
                              max_results=max_results)


async def _emit(session: AsyncSession, actor: Actor, board: Board, event_class: type[BoardEvent],
                **extra: Any) -> None:
    await emit(session, event_class(board_id=board.id, board_name=board.name, project_id=board.project_id,
                                    user_id=actor.user_id, timestamp=datetime.now(UTC).isoformat(), **extra),
               organization_id=board.organization_id, aggregate_id=board.id, actor_id=actor.user_id)


def board_view(board: Board, project: Project, saved: SavedFilter | None, *, may_manage: bool) -> dict[str, Any]:
    return {
        "id": board.id, "name": board.name, "type": board.board_type,
        "location": {"project_id": project.id, "project_key": project.key, "project_name": project.name},
        "filter": {"id": saved.id, "name": saved.name, "jql": saved.jql} if saved else None,
        "owner_id": board.owner_id, "columns": board.columns, "swimlanes": board.swimlanes,
        "quick_filters": board.quick_filters, "sub_filter": board.sub_filter,
        "allow_parallel_sprints": board.allow_parallel_sprints, "version": board.version,
        "can_manage": may_manage,
    }


async def describe_boards(session: AsyncSession, actor: Actor, boards: list[Board]) -> list[dict[str, Any]]:
    """List entries: what a board is and where, without its configuration."""
    ids = {board.project_id for board in boards}
    projects = {p.id: p for p in (await session.scalars(select(Project).where(
        Project.organization_id == actor.organization_id, Project.id.in_(sorted(ids))))).all()} if ids else {}
    return [{"id": board.id, "name": board.name, "type": board.board_type, "filter_id": board.filter_id,
             "owner_id": board.owner_id, "location": {"project_id": board.project_id,
                                                      "project_key": projects[board.project_id].key,
                                                      "project_name": projects[board.project_id].name}}
            for board in boards]
