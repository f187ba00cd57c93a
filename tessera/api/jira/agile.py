"""/rest/agile/1.0/board: list, create, get, delete, configuration, and a board's issues,
backlog and sprints (with their issues), over tessera.agile. Issue lists have the search shape
(`issues`, `startAt`, `maxResults`, `total`); board and sprint lists the agile page shape
(`values`, `isLast`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.board_search import backlog_conditions
from tessera.agile.boards import (
    access_board,
    board_filter,
    check_create_board,
    check_delete_board,
    describe_boards,
    list_boards,
    may_manage_board,
)
from tessera.agile.fields import agile_fields
from tessera.agile.models import Board
from tessera.agile.sprints import SPRINT_STATES, access_sprint, board_sprints, sprint_links
from tessera.api.jira.bodies import json_object
from tessera.api.jira.dialect import links_for
from tessera.api.jira.issue_pages import issue_page
from tessera.api.jira.sprints import sprint_issue_page, sprint_json
from tessera.db.refs import parse_id, require_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.issues.references import catalog_for
from tessera.jira_format.fields import RANK_CUSTOM_ID
from tessera.jira_format.shapes import Links, page, split_values
from tessera.jql import ast
from tessera.jql.filters import access_filter
from tessera.jql.parser import parse
from tessera.jql.search import MAX_RESULTS
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
StartAt = Annotated[int, Query(ge=0, le=1_000_000)]
Listed = Annotated[list[str] | None, Query(max_length=200)]
Text = Annotated[str | None, Query(max_length=20_000)]


def _board_id(ref: str) -> int:
    return require_id(ref, not_found="Board does not exist or you do not have permission to see it.")


async def _board(session: AsyncSession, actor: Actor, ref: str) -> tuple[Board, Project]:
    try:
        return await access_board(session, actor, _board_id(ref))
    except NotFound:
        raise NotFound("Board does not exist or you do not have permission to see it.") from None


async def board_for_request(session: AsyncSession, actor: Actor, ref: str) -> tuple[Board, Project]:
    """The board a path names, or Jira's not-found message (for routes in other modules)."""
    return await _board(session, actor, ref)


def board_json(links: Links, board: Board, project: Project) -> dict[str, Any]:
    return _board_json(links, board.id, board.name, board.board_type, project.id, project.key, project.name)


def _board_json(links: Links, board_id: int, name: str, board_type: str, project_id: int, project_key: str,
                project_name: str) -> dict[str, Any]:
    return {"id": board_id, "self": f"{links.agile}/board/{board_id}", "name": name, "type": board_type,
            "location": {"projectId": project_id, "projectKey": project_key, "projectName": project_name,
                         "displayName": f"{project_name} ({project_key})", "name": f"{project_name} ({project_key})"}}


def _project_named_by(jql: str) -> str | None:
    """The project a filter's JQL names at its top level (`project = X` or `project in (X, ...)`),
    for a board created without a location, as Jira Server allows."""
    try:
        where = parse(jql).where
    except InvalidInput:
        return None
    clauses = where.items if isinstance(where, ast.And) else (where,)
    for clause in clauses:
        if isinstance(clause, ast.Compare | ast.InList) and clause.field.name.lower() == "project" and \
                not getattr(clause, "negated", False) and getattr(clause, "op", "=") == "=":
            operand = clause.operand
            first = operand.items[0] if isinstance(operand, ast.ValueList) and operand.items else operand
            if isinstance(first, ast.Literal):
                return first.text
    return None


@router.get("/board")
async def boards(ctx: Ctx, startAt: StartAt = 0, maxResults: Annotated[int, Query(ge=0, le=1000)] = 50,
                 type: Annotated[str | None, Query(max_length=20)] = None,
                 name: Annotated[str | None, Query(max_length=255)] = None,
                 projectKeyOrId: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    if type is not None and type not in ("scrum", "kanban"):
        raise InvalidInput("type is scrum or kanban.", field="type")
    links = links_for(ctx)
    limit = maxResults or 50
    async with ctx.transaction() as (session, actor):
        try:
            found, total = await list_boards(session, actor, project=projectKeyOrId, board_type=type, name=name,
                                             start_at=startAt, max_results=limit)
        except NotFound:
            raise NotFound(f"No project could be found with key '{projectKeyOrId}'.") from None
        described = await describe_boards(session, actor, found)
    values = [_board_json(links, b["id"], b["name"], b["type"], b["location"]["project_id"],
                          b["location"]["project_key"], b["location"]["project_name"]) for b in described]
    return page(values, start_at=startAt, max_results=limit, total=total)


@router.post("/board", status_code=201)
async def create_board(request: Request, ctx: Ctx) -> JSONResponse:
    body = await json_object(request)
    filter_id = body.get("filterId")
    if filter_id is None:
        raise InvalidInput("filterId is required.", field="filterId")
    location = body.get("location") if isinstance(body.get("location"), dict) else {}
    async with ctx.transaction() as (session, actor):
        project_ref = location.get("projectKeyOrId")
        if project_ref is None:
            saved = await access_filter(session, actor, parse_id(filter_id) or 0) if parse_id(filter_id) else None
            project_ref = _project_named_by(saved.jql) if saved is not None else None
        if project_ref is None:
            raise InvalidInput("Give the board a location: {\"type\": \"project\", \"projectKeyOrId\": ...}, or a "
                               "filter whose query names one project.", field="location")
        board = await check_create_board(session, actor=actor, spec={
            "name": body.get("name"), "type": body.get("type") or "scrum", "project_id": project_ref,
            "filter_id": filter_id})
        board, project = await access_board(session, actor, board.id)
    return JSONResponse(board_json(links_for(ctx), board, project), status_code=201)


@router.get("/board/{board_ref}")
async def get_board(board_ref: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        board, project = await _board(session, actor, board_ref)
    return board_json(links_for(ctx), board, project)


@router.delete("/board/{board_ref}", status_code=204)
async def delete_board(board_ref: str, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        board, project = await _board(session, actor, board_ref)
        await check_delete_board(session, actor=actor, board=board, project=project)
    return Response(status_code=204)


@router.get("/board/{board_ref}/configuration")
async def board_configuration(board_ref: str, ctx: Ctx) -> dict:
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        board, project = await _board(session, actor, board_ref)
        saved = await board_filter(session, actor, board)
        can_edit = await may_manage_board(session, actor, board, project)
    return {"id": board.id, "name": board.name, "type": board.board_type, "self": f"{links.agile}/board/{board.id}/"
            "configuration", "location": {"type": "project", "key": project.key, "id": str(project.id)},
            "filter": {"id": str(saved.id), "self": f"{links.api}/filter/{saved.id}"} if saved else None,
            "columnConfig": {"constraintType": "issueCount", "columns": [
                {"name": column["name"], "min": column.get("min"), "max": column.get("max"),
                 "statuses": [{"id": str(s), "self": f"{links.api}/status/{s}"} for s in column["status_ids"]]}
                for column in board.columns]},
            "ranking": {"rankCustomFieldId": RANK_CUSTOM_ID}, "canEdit": can_edit,
            "subQuery": {"query": board.sub_filter} if board.board_type == "kanban" else None}


def _quick_filter_json(links: Links, board: Board, position: int, entry: dict[str, Any]) -> dict[str, Any]:
    return {"id": entry["id"], "boardId": board.id, "name": entry["name"], "jql": entry["jql"],
            "description": entry.get("description") or "", "position": position,
            "self": f"{links.agile}/board/{board.id}/quickfilter/{entry['id']}"}


@router.get("/board/{board_ref}/quickfilter")
async def board_quick_filters(board_ref: str, ctx: Ctx, startAt: StartAt = 0,
                              maxResults: Annotated[int, Query(ge=0, le=1000)] = 50) -> dict:
    """The board's quick filters in their order (Jira Software's agile API, paged as boards are)."""
    async with ctx.transaction() as (session, actor):
        board, _ = await _board(session, actor, board_ref)
    links, limit = links_for(ctx), maxResults or 50
    values = [_quick_filter_json(links, board, position, entry) for position, entry in enumerate(board.quick_filters)]
    return page(values[startAt:startAt + limit], start_at=startAt, max_results=limit, total=len(values))


@router.get("/board/{board_ref}/quickfilter/{filter_ref}")
async def board_quick_filter(board_ref: str, filter_ref: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        board, _ = await _board(session, actor, board_ref)
    wanted = parse_id(filter_ref)
    for position, entry in enumerate(board.quick_filters):
        if entry["id"] == wanted:
            return _quick_filter_json(links_for(ctx), board, position, entry)
    raise NotFound(f"The quick filter with id '{filter_ref[:40]}' does not exist on board {board.id}.")


# Jira Server's board editor model (`/rest/greenhopper/1.0/rapidviewconfig/editmodel.json`), the
# one place Jira serves a board's swimlanes; migration tools read quick filters there too.
greenhopper_router = APIRouter()
_STRATEGIES = {"none": "none", "assignee": "assignee", "epic": "epic", "priority": "priority", "queries": "custom"}


@greenhopper_router.get("/rapidviewconfig/editmodel.json")
async def board_edit_model(ctx: Ctx, rapidViewId: Annotated[str, Query(max_length=40)]) -> dict:
    async with ctx.transaction() as (session, actor):
        board, project = await _board(session, actor, rapidViewId)
        saved = await board_filter(session, actor, board)
        can_edit = await may_manage_board(session, actor, board, project)
    lanes = board.swimlanes or {}
    strategy = _STRATEGIES.get(str(lanes.get("type") or "none"), "none")
    custom = [{"id": index, "name": query["name"], "query": query["jql"], "description": "", "isDefault": False}
              for index, query in enumerate(lanes.get("queries") or [], start=1)]
    if strategy == "custom":  # Jira's catch-all lane, which custom swimlanes always end with
        custom.append({"id": len(custom) + 1, "name": "Everything Else", "query": "", "description": "",
                       "isDefault": True})
    return {"id": board.id, "name": board.name, "canEdit": can_edit, "sprintSupportEnabled": board.board_type == "scrum",
            "filterConfig": {"id": saved.id if saved else None, "query": saved.jql if saved else ""},
            "swimlanesConfig": {"swimlaneStrategy": strategy, "swimlanes": custom, "canEdit": can_edit},
            "quickFilterConfig": {"canEdit": can_edit, "quickFilters": [
                {"id": entry["id"], "name": entry["name"], "query": entry["jql"],
                 "description": entry.get("description") or "", "position": position}
                for position, entry in enumerate(board.quick_filters)]}}


async def _board_queries(session: AsyncSession, actor: Actor, board: Board, jql: str | None) -> list[str] | None:
    saved = await board_filter(session, actor, board)
    if saved is None:
        return None
    return [saved.jql, *([board.sub_filter] if board.board_type == "kanban" else []), jql or ""]


def _empty(start_at: int, max_results: int) -> dict[str, Any]:
    return {"expand": "schema,names", "startAt": start_at, "maxResults": max_results, "total": 0, "issues": []}


@router.get("/board/{board_ref}/issue")
async def board_issues(board_ref: str, ctx: Ctx, startAt: StartAt = 0,
                       maxResults: Annotated[int, Query(ge=0, le=MAX_RESULTS)] = 50, jql: Text = None,
                       fields: Listed = None, expand: Text = None) -> dict:
    return await _board_page(ctx, board_ref, startAt, maxResults, jql, fields, expand, backlog=False)


@router.get("/board/{board_ref}/backlog")
async def board_backlog(board_ref: str, ctx: Ctx, startAt: StartAt = 0,
                        maxResults: Annotated[int, Query(ge=0, le=MAX_RESULTS)] = 50, jql: Text = None,
                        fields: Listed = None, expand: Text = None) -> dict:
    """Issues of the board in no active or future sprint and not done, by rank."""
    return await _board_page(ctx, board_ref, startAt, maxResults, jql, fields, expand, backlog=True)


async def _board_page(ctx: Ctx, board_ref: str, start_at: int, max_results: int, jql: str | None,
                      fields: list[str] | None, expand: str | None, *, backlog: bool) -> dict:
    """The board's issues as Jira pages them; the backlog keeps those in no open sprint and not done."""
    async with ctx.transaction() as (session, actor):
        board, _ = await _board(session, actor, board_ref)
        queries = await _board_queries(session, actor, board, jql)
        if queries is None:
            return _empty(start_at, max_results)
        extra: Any = ()
        if backlog:
            catalog = await catalog_for(session, actor)
            extra = backlog_conditions(actor, agile_fields(catalog), catalog)
        return await issue_page(ctx, session, actor, queries=queries, extra=extra, start_at=start_at,
                                max_results=max_results, fields=split_values(fields), expand=expand,
                                client_jql=jql)


@router.get("/board/{board_ref}/sprint")
async def board_sprint_list(board_ref: str, ctx: Ctx, startAt: StartAt = 0,
                            maxResults: Annotated[int, Query(ge=0, le=1000)] = 50,
                            state: Annotated[str | None, Query(max_length=50)] = None) -> dict:
    states = tuple(s.lower() for s in split_values(state)) or SPRINT_STATES
    if any(s not in SPRINT_STATES for s in states):
        raise InvalidInput("state is a comma-separated list of future, active and closed.", field="state")
    limit = maxResults or 50
    async with ctx.transaction() as (session, actor):
        board, _ = await _board(session, actor, board_ref)
        if board.board_type != "scrum":
            raise InvalidInput("The board does not support sprints", field="boardId")
        sprints = await board_sprints(session, actor.organization_id, board.id, states)
        chosen = sprints[startAt:startAt + limit]
        links_by_sprint = await sprint_links(session, actor.organization_id, [s.id for s in chosen])
    links = links_for(ctx)
    return page([sprint_json(links, s, links_by_sprint.get(s.id)) for s in chosen], start_at=startAt,
                max_results=limit, total=len(sprints))


@router.get("/board/{board_ref}/sprint/{sprint_ref}/issue")
async def board_sprint_issues(board_ref: str, sprint_ref: str, ctx: Ctx, startAt: StartAt = 0,
                              maxResults: Annotated[int, Query(ge=0, le=MAX_RESULTS)] = 50, jql: Text = None,
                              fields: Listed = None, expand: Text = None) -> dict:
    async with ctx.transaction() as (session, actor):
        await _board(session, actor, board_ref)
        sprint_id = require_id(sprint_ref, not_found="Sprint does not exist or you do not have permission to see it.")
        sprint, _, _ = await access_sprint(session, actor, sprint_id)
        return await sprint_issue_page(ctx, session, actor, sprint, startAt, maxResults, jql, fields, expand)
