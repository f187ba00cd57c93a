"""/v2/boards, /v2/sprints and /v2/issues/{issue_id}/rank: boards, sprints, backlog and rank."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field, StrictInt

from tessera.agile.board_issues import board_backlog, board_issues, sprint_issues
from tessera.agile.board_search import is_client_search
from tessera.agile.boards import (
    access_board,
    board_filter,
    board_view,
    check_create_board,
    check_delete_board,
    check_update_board,
    describe_boards,
    list_boards,
    may_manage_board,
)
from tessera.agile.card_moves import check_move_card
from tessera.agile.ranking import check_rank_issue, ranks_of
from tessera.agile.scope import list_scope_changes, scope_view
from tessera.agile.sprint_planning import check_add_to_sprint, check_complete_sprint, check_remove_from_sprint
from tessera.agile.sprints import (
    SPRINT_STATES,
    access_sprint,
    board_sprints,
    check_create_sprint,
    check_start_sprint,
    check_update_sprint,
    do_sync_sprint,
    sprint_links,
    sprint_view,
)
from tessera.api.rest.responses.agile import (
    BacklogOut,
    BoardIssuesOut,
    BoardOut,
    BoardPageOut,
    BoardSprintsOut,
    CardMovedOut,
    RankOut,
    ScopeChangesOut,
    SprintCompletedOut,
    SprintIssuesAddedOut,
    SprintIssuesOut,
    SprintOut,
)
from tessera.api.rest.responses.common import ok
from tessera.api.rest.schemas import Body, LongText, Name, QueryId, Ref, StoredId
from tessera.edge.context import RequestContext, request_context
from tessera.issues.references import catalog_for
from tessera.issues.service import access_issue
from tessera.issues.views import status_view

router = APIRouter(prefix="/v2", tags=["boards and sprints"])
Ctx = Annotated[RequestContext, Depends(request_context)]
Jql = Annotated[str, Field(max_length=20_000)]
WipLimit = Annotated[int, Field(ge=0, le=100_000)]
QuickFilters = Annotated[list[QueryId] | None, Query(max_length=50, description="Quick filter ids (repeat to AND them).")]
StartAt = Annotated[int, Query(ge=0, le=1_000_000)]


class ColumnIn(Body):
    name: Name
    status_ids: list[Ref] = Field(default_factory=list, max_length=200, description="Status ids or names.")
    min: WipLimit | None = None
    max: WipLimit | None = None


class SwimlaneQueryIn(Body):
    name: Name
    jql: Jql


class SwimlanesIn(Body):
    type: Literal["none", "assignee", "epic", "priority", "queries"] = "none"
    queries: list[SwimlaneQueryIn] = Field(default_factory=list, max_length=50)


class QuickFilterIn(Body):
    id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Kept across edits; new ones get one.")
    name: Name
    jql: Jql
    description: LongText = ""


class BoardCreate(Body):
    name: Name
    type: Literal["scrum", "kanban"] = "scrum"
    project_id: Ref = Field(description="The board's location: project id or key.")
    filter_id: Ref | None = Field(default=None, description="A saved filter you may see; its shares are the "
                                                            "board's. Without it, `jql` (default: the project) "
                                                            "becomes a new filter shared with the project.")
    jql: Jql | None = None
    columns: list[ColumnIn] | None = Field(default=None, max_length=30, description="Default: by status category.")
    swimlanes: SwimlanesIn | None = None
    quick_filters: list[QuickFilterIn] = Field(default_factory=list, max_length=50)
    sub_filter: Jql = Field(default="", description="Kanban only: narrows the filter's issues.")
    allow_parallel_sprints: bool = False


class BoardUpdate(Body):
    name: Name | None = None
    filter_id: Ref | None = None
    columns: list[ColumnIn] | None = Field(default=None, max_length=30)
    swimlanes: SwimlanesIn | None = None
    quick_filters: list[QuickFilterIn] | None = Field(default=None, max_length=50)
    sub_filter: Jql | None = None
    allow_parallel_sprints: bool | None = None
    version: int | None = Field(default=None, description="The version you read; a stale one answers 409.")


class CardMove(Body):
    column: Name | StrictInt | None = Field(default=None, description="Column name or position (0 = first).")
    status_id: Ref | None = Field(default=None, description="A status of the target column.")
    rank_before: Ref | None = None
    rank_after: Ref | None = None
    fields: dict[str, Any] = Field(default_factory=dict, max_length=100, description="The transition's screen.")
    comment: LongText | None = None
    version: int | None = None


class SprintCreate(Body):
    name: Name | None = None
    goal: LongText = ""
    start_at: datetime | None = None
    end_at: datetime | None = None


class SprintUpdate(Body):
    name: Name | None = None
    goal: LongText | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None


class SprintStart(Body):
    goal: LongText | None = None
    start_at: datetime | None = Field(default=None, description="Default: the planned start, else now.")
    end_at: datetime | None = Field(default=None, description="Default: the planned end, else two weeks on.")


class SprintComplete(Body):
    move_open_issues_to: Ref = Field(default="backlog", description='"backlog", or a future or active sprint id.')


class SprintIssues(Body):
    issues: list[Ref] = Field(min_length=1, max_length=100, description="Issue ids or keys.")
    rank_before: Ref | None = None
    rank_after: Ref | None = None


class RankBody(Body):
    rank_before: Ref | None = Field(default=None, description="Place the issue right before this one.")
    rank_after: Ref | None = Field(default=None, description="Place the issue right after this one.")


def _spec(body: Body) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


# --- Boards --------------------------------------------------------------------------------------

@router.get("/boards", responses=ok(BoardPageOut))
async def get_boards(ctx: Ctx, project_id: Annotated[str | None, Query(max_length=100)] = None,
                     type: Annotated[Literal["scrum", "kanban"] | None, Query()] = None,
                     name: Annotated[str | None, Query(max_length=255)] = None, start_at: StartAt = 0,
                     max_results: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict:
    async with ctx.transaction() as (session, actor):
        boards, total = await list_boards(session, actor, project=project_id, board_type=type, name=name,
                                          start_at=start_at, max_results=max_results)
        return {"start_at": start_at, "max_results": max_results, "total": total,
                "boards": await describe_boards(session, actor, boards)}


@router.post("/boards", status_code=201, responses=ok(BoardOut, 201))
async def create_board(body: BoardCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        board = await check_create_board(session, actor=actor, spec=_spec(body))
        board, project = await access_board(session, actor, board.id)
        return board_view(board, project, await board_filter(session, actor, board), may_manage=True)


@router.get("/boards/{board_id}", responses=ok(BoardOut))
async def get_board(board_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        board, project = await access_board(session, actor, board_id)
        return board_view(board, project, await board_filter(session, actor, board),
                          may_manage=await may_manage_board(session, actor, board, project))


@router.put("/boards/{board_id}", responses=ok(BoardOut))
async def update_board(board_id: StoredId, body: BoardUpdate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        board, project = await access_board(session, actor, board_id)
        board = await check_update_board(session, actor=actor, board=board, project=project, spec=_spec(body))
        return board_view(board, project, await board_filter(session, actor, board), may_manage=True)


@router.delete("/boards/{board_id}", status_code=204)
async def delete_board(board_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        board, project = await access_board(session, actor, board_id)
        await check_delete_board(session, actor=actor, board=board, project=project)
    return Response(status_code=204)


@router.get("/boards/{board_id}/issues", responses=ok(BoardIssuesOut))
async def get_board_issues(board_id: StoredId, ctx: Ctx, quick_filter: QuickFilters = None,
                           jql: Annotated[str | None, Query(max_length=20_000)] = None,
                           sprint_id: Annotated[QueryId | None, Query()] = None) -> dict:
    """Columns (with WIP state), swimlanes and cards in rank order. A Scrum board shows its
    active sprints (or `sprint_id`); a Kanban board its filter and sub-filter."""
    async with ctx.transaction(search=is_client_search(jql)) as (session, actor):
        board, _ = await access_board(session, actor, board_id)
        return await board_issues(session, actor=actor, board=board, quick_filters=quick_filter or [], jql=jql,
                                  sprint_id=sprint_id)


@router.get("/boards/{board_id}/backlog", responses=ok(BacklogOut))
async def get_backlog(board_id: StoredId, ctx: Ctx, quick_filter: QuickFilters = None,
                      jql: Annotated[str | None, Query(max_length=20_000)] = None, start_at: StartAt = 0,
                      max_results: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    """The board's issues in no active or future sprint and not done, by rank."""
    async with ctx.transaction(search=is_client_search(jql)) as (session, actor):
        board, _ = await access_board(session, actor, board_id)
        return await board_backlog(session, actor=actor, board=board, quick_filters=quick_filter or [], jql=jql,
                                   start_at=start_at, max_results=max_results)


@router.post("/boards/{board_id}/issues/{issue_id}/move", responses=ok(CardMovedOut))
async def move_card(board_id: StoredId, issue_id: str, body: CardMove, ctx: Ctx) -> dict:
    """Into another column: runs the workflow transition that leads there (403 when its
    conditions fail, 400 listing every failed validator, 409 when none leads there)."""
    async with ctx.transaction() as (session, actor):
        board, _ = await access_board(session, actor, board_id)
        issue, project = await access_issue(session, actor, issue_id)
        issue = await check_move_card(session, actor=actor, board=board, issue=issue, project=project,
                                      spec=_spec(body))
        catalog = await catalog_for(session, actor)
        rank = (await ranks_of(session, actor.organization_id, [issue.id])).get(issue.id)
        return {"id": issue.id, "key": issue.key, "status": status_view(catalog, issue.status_id),
                "version": issue.version, "rank": rank}


@router.get("/boards/{board_id}/sprints", responses=ok(BoardSprintsOut))
async def get_board_sprints(board_id: StoredId, ctx: Ctx,
                            state: Annotated[list[Literal["future", "active", "closed"]] | None,
                                             Query(max_length=3)] = None) -> dict:
    async with ctx.transaction() as (session, actor):
        board, _ = await access_board(session, actor, board_id)
        sprints = await board_sprints(session, actor.organization_id, board.id, tuple(state or SPRINT_STATES))
        links = await sprint_links(session, actor.organization_id, [s.id for s in sprints])
        return {"board_id": board.id, "sprints": [sprint_view(s, links.get(s.id)) for s in sprints]}


@router.post("/boards/{board_id}/sprints", status_code=201, responses=ok(SprintOut, 201))
async def create_sprint(board_id: StoredId, body: SprintCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        board, project = await access_board(session, actor, board_id)
        sprint = await check_create_sprint(session, actor=actor, board=board, project=project, spec=_spec(body))
        return sprint_view(sprint, (await sprint_links(session, actor.organization_id, [sprint.id]))[sprint.id])


# --- Sprints -------------------------------------------------------------------------------------

@router.get("/sprints/{sprint_id}", responses=ok(SprintOut))
async def get_sprint(sprint_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        sprint, _, link = await access_sprint(session, actor, sprint_id)
        return sprint_view(sprint, link)


@router.put("/sprints/{sprint_id}", responses=ok(SprintOut))
async def update_sprint(sprint_id: StoredId, body: SprintUpdate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        sprint, project, link = await access_sprint(session, actor, sprint_id)
        sprint = await check_update_sprint(session, actor=actor, sprint=sprint, project=project, spec=_spec(body))
        return sprint_view(sprint, link)


@router.post("/sprints/{sprint_id}/start", responses=ok(SprintOut))
async def start_sprint(sprint_id: StoredId, ctx: Ctx, body: SprintStart | None = None) -> dict:
    async with ctx.transaction() as (session, actor):
        sprint, project, link = await access_sprint(session, actor, sprint_id)
        sprint = await check_start_sprint(session, actor=actor, sprint=sprint, project=project, link=link,
                                          spec=_spec(body) if body else {})
        _, _, link = await access_sprint(session, actor, sprint_id)
        return sprint_view(sprint, link)


@router.post("/sprints/{sprint_id}/complete", responses=ok(SprintCompletedOut))
async def complete_sprint(sprint_id: StoredId, ctx: Ctx, body: SprintComplete | None = None) -> dict:
    """Open issues (status category not done) go to the backlog or to the named sprint."""
    body = body or SprintComplete()
    async with ctx.transaction() as (session, actor):
        sprint, project, link = await access_sprint(session, actor, sprint_id)
        outcome = await check_complete_sprint(session, actor=actor, sprint=sprint, project=project, link=link,
                                              move_open_issues_to=body.move_open_issues_to)
        return {"sprint": sprint_view(sprint, link), **outcome}


@router.get("/sprints/{sprint_id}/issues", responses=ok(SprintIssuesOut))
async def get_sprint_issues(sprint_id: StoredId, ctx: Ctx, start_at: StartAt = 0,
                            max_results: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    async with ctx.transaction() as (session, actor):
        sprint, _, _ = await access_sprint(session, actor, sprint_id)
        return await sprint_issues(session, actor=actor, sprint=sprint, start_at=start_at, max_results=max_results)


@router.post("/sprints/{sprint_id}/issues", responses=ok(SprintIssuesAddedOut))
async def add_sprint_issues(sprint_id: StoredId, body: SprintIssues, ctx: Ctx) -> dict:
    """Sets each issue's Sprint field (history and events as for any edit), optionally ranking
    them, in order, before or after another issue."""
    async with ctx.transaction() as (session, actor):
        sprint, _, _ = await access_sprint(session, actor, sprint_id)
        issues = await check_add_to_sprint(session, actor=actor, sprint=sprint, refs=body.issues,
                                           rank_before=body.rank_before, rank_after=body.rank_after)
        return {"sprint_id": sprint.id, "issues": [{"id": i.id, "key": i.key, "version": i.version} for i in issues]}


@router.delete("/sprints/{sprint_id}/issues/{issue_id}", status_code=204)
async def remove_sprint_issue(sprint_id: StoredId, issue_id: str, ctx: Ctx) -> Response:
    """Back to the backlog."""
    async with ctx.transaction() as (session, actor):
        sprint, _, _ = await access_sprint(session, actor, sprint_id)
        issue, project = await access_issue(session, actor, issue_id)
        await check_remove_from_sprint(session, actor=actor, sprint=sprint, issue=issue, project=project)
    return Response(status_code=204)


@router.get("/sprints/{sprint_id}/scope-changes", responses=ok(ScopeChangesOut))
async def get_scope_changes(sprint_id: StoredId, ctx: Ctx) -> dict:
    """What the sprint started with, what was added, removed or re-estimated while it ran (from
    the issues' history), and what was completed or not."""
    async with ctx.transaction(write=True) as (session, actor):
        sprint, _, link = await access_sprint(session, actor, sprint_id)
        await do_sync_sprint(session, actor=actor, sprint=sprint, link=link)
        return {"sprint": sprint_view(sprint, link), **scope_view(await list_scope_changes(session, sprint, actor))}


# --- Rank ----------------------------------------------------------------------------------------

@router.put("/issues/{issue_id}/rank", responses=ok(RankOut))
async def rank_issue(issue_id: str, body: RankBody, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        rank = await check_rank_issue(session, actor=actor, issue=issue, project=project,
                                      rank_before=body.rank_before, rank_after=body.rank_after)
        return {"issue_id": issue.id, "key": issue.key, "rank": rank}
