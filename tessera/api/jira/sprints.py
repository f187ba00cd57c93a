"""/rest/agile/1.0/sprint (create, get, update: `state` active starts it, closed completes it),
/sprint/{id}/issue (list, move in), /backlog/issue (move out of sprints), /issue/rank, and
/epic/{epic}/issue (set the epic of issues). Membership is the issue's Sprint field and every
move goes through tessera.agile, with history and events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.board_search import in_sprints
from tessera.agile.boards import access_board
from tessera.agile.fields import agile_fields, sprints_of
from tessera.agile.models import Sprint, SprintBoard
from tessera.agile.ranking import access_rank_anchor, do_rank_issues
from tessera.agile.sprint_planning import check_add_to_sprint, check_complete_sprint, check_remove_from_sprint
from tessera.agile.sprints import (
    access_sprint,
    check_create_sprint,
    check_start_sprint,
    check_update_sprint,
)
from tessera.api.jira.bodies import as_text, json_object, ref_of
from tessera.api.jira.dialect import links_for
from tessera.api.jira.issue_pages import issue_page
from tessera.db.refs import parse_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.issues.inputs import IssueUpdate
from tessera.issues.references import catalog_for
from tessera.issues.service import access_issue, check_update_issue
from tessera.jira_format.shapes import Links, jira_time, parse_jira_time, split_values
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


def sprint_json(links: Links, sprint: Sprint, link: SprintBoard | None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": sprint.id, "self": f"{links.agile}/sprint/{sprint.id}", "state": sprint.state,
                            "name": sprint.name, "goal": sprint.goal}
    for name, value in (("startDate", sprint.start_at), ("endDate", sprint.end_at),
                        ("completeDate", sprint.completed_at),
                        ("activatedDate", link.activated_at if link else None)):
        if value is not None:
            view[name] = jira_time(value)
    if link is not None and link.board_id is not None:
        view["originBoardId"] = link.board_id
    return view


def _sprint_id(ref: str) -> int:
    sprint_id = parse_id(ref)
    if sprint_id is None:
        raise NotFound("Sprint does not exist or you do not have permission to see it.")
    return sprint_id


async def _sprint(session: AsyncSession, actor: Actor, ref: str) -> tuple[Sprint, Project, SprintBoard | None]:
    try:
        return await access_sprint(session, actor, _sprint_id(ref))
    except NotFound:
        raise NotFound("Sprint does not exist or you do not have permission to see it.") from None


def _dates(body: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for jira_name, ours in (("startDate", "start_at"), ("endDate", "end_at")):
        if body.get(jira_name) is not None:
            spec[ours] = parse_jira_time(body[jira_name], field=jira_name)
    for name in ("name", "goal"):
        text = as_text(body, name)
        if text is not None:
            spec[name] = text
    return spec


def issue_refs(body: dict[str, Any]) -> list[object]:
    issues = body.get("issues")
    if not isinstance(issues, list) or not issues or len(issues) > 50:
        raise InvalidInput("'issues' is a list of 1 to 50 issue keys or ids.", field="issues")
    return [ref_of(item, "key", "id") for item in issues]


@router.post("/sprint", status_code=201)
async def create_sprint(request: Request, ctx: Ctx) -> JSONResponse:
    body = await json_object(request)
    board_id = parse_id(body.get("originBoardId"))
    if board_id is None:
        raise InvalidInput("originBoardId is required.", field="originBoardId")
    async with ctx.transaction() as (session, actor):
        try:
            board, project = await access_board(session, actor, board_id)
        except NotFound:
            raise InvalidInput(f"Board {body.get('originBoardId')} does not exist or you do not have permission "
                               "to see it.", field="originBoardId") from None
        sprint = await check_create_sprint(session, actor=actor, board=board, project=project, spec=_dates(body))
        _, _, link = await access_sprint(session, actor, sprint.id)
    return JSONResponse(sprint_json(links_for(ctx), sprint, link), status_code=201)


@router.get("/sprint/{sprint_ref}")
async def get_sprint(sprint_ref: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        sprint, _, link = await _sprint(session, actor, sprint_ref)
    return sprint_json(links_for(ctx), sprint, link)


@router.put("/sprint/{sprint_ref}")
@router.post("/sprint/{sprint_ref}")
async def update_sprint(sprint_ref: str, request: Request, ctx: Ctx) -> dict:
    """Name, goal and dates; `state: "active"` starts a future sprint, `"closed"` completes an
    active one (its open issues go to the backlog, as Jira moves them)."""
    body = await json_object(request)
    spec = _dates(body)
    state = str(body.get("state") or "").lower() or None
    if state not in (None, "future", "active", "closed"):
        raise InvalidInput("state is future, active or closed.", field="state")
    async with ctx.transaction() as (session, actor):
        sprint, project, link = await _sprint(session, actor, sprint_ref)
        if state == "active" and sprint.state == "future":
            await check_start_sprint(session, actor=actor, sprint=sprint, project=project, link=link, spec=spec)
            spec = {key: spec[key] for key in ("name",) if key in spec}
        if spec and sprint.state != "closed":
            await check_update_sprint(session, actor=actor, sprint=sprint, project=project, spec=spec)
        if state == "closed" and sprint.state == "active":
            await check_complete_sprint(session, actor=actor, sprint=sprint, project=project, link=link)
        elif state is not None and state != sprint.state:
            raise InvalidInput(f"A {sprint.state} sprint cannot become {state}.", field="state")
        sprint, _, link = await access_sprint(session, actor, sprint.id)
    return sprint_json(links_for(ctx), sprint, link)


@router.get("/sprint/{sprint_ref}/issue")
async def sprint_issues(sprint_ref: str, ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                        maxResults: Annotated[int, Query(ge=0, le=1000)] = 50,
                        jql: Annotated[str | None, Query(max_length=20_000)] = None,
                        fields: Annotated[list[str] | None, Query(max_length=200)] = None,
                        expand: Annotated[str | None, Query(max_length=500)] = None) -> dict:
    async with ctx.transaction() as (session, actor):
        sprint, _, _ = await _sprint(session, actor, sprint_ref)
        return await sprint_issue_page(ctx, session, actor, sprint, startAt, maxResults, jql, fields, expand)


async def sprint_issue_page(ctx: Ctx, session: AsyncSession, actor: Actor, sprint: Sprint, start_at: int,
                            max_results: int, jql: str | None, fields: list[str] | None, expand: str | None) -> dict:
    """A sprint's issues as Jira pages them, narrowed by the client's own JQL."""
    fields_of = agile_fields(await catalog_for(session, actor))
    return await issue_page(ctx, session, actor, queries=[jql or ""], extra=[in_sprints(actor, fields_of, [sprint.id])],
                            start_at=start_at, max_results=max_results, fields=split_values(fields), expand=expand,
                            client_jql=jql)


@router.post("/sprint/{sprint_ref}/issue", status_code=204)
async def move_to_sprint(sprint_ref: str, request: Request, ctx: Ctx) -> Response:
    body = await json_object(request)
    refs = issue_refs(body)
    async with ctx.transaction() as (session, actor):
        sprint, _, _ = await _sprint(session, actor, sprint_ref)
        await check_add_to_sprint(session, actor=actor, sprint=sprint, refs=refs,
                                  rank_before=ref_of(body.get("rankBeforeIssue"), "key", "id"),
                                  rank_after=ref_of(body.get("rankAfterIssue"), "key", "id"))
    return Response(status_code=204)


@router.post("/backlog/issue", status_code=204)
async def move_to_backlog(request: Request, ctx: Ctx) -> Response:
    """Out of their future or active sprint (issues in no sprint, or a closed one, stay)."""
    refs = issue_refs(await json_object(request))
    async with ctx.transaction() as (session, actor):
        fields = agile_fields(await catalog_for(session, actor))
        for index, ref in enumerate(refs):
            try:
                issue, project = await access_issue(session, actor, ref)
            except NotFound:
                raise InvalidInput(f"Issue '{str(ref)[:100]}' does not exist.", field=f"issues.{index}") from None
            sprint_id = (await sprints_of(session, actor.organization_id, fields, [issue.id])).get(issue.id)
            if sprint_id is None:
                continue
            sprint, _, _ = await access_sprint(session, actor, sprint_id)
            if sprint.state != "closed":
                await check_remove_from_sprint(session, actor=actor, sprint=sprint, issue=issue, project=project)
    return Response(status_code=204)


@router.put("/issue/rank", status_code=204)
async def rank_issues(request: Request, ctx: Ctx) -> Response:
    """Up to 50 issues, in their order, right before `rankBeforeIssue` or after `rankAfterIssue`."""
    body = await json_object(request)
    refs = issue_refs(body)
    async with ctx.transaction() as (session, actor):
        anchor = await access_rank_anchor(session, actor, rank_before=ref_of(body.get("rankBeforeIssue"), "key", "id"),
                                          rank_after=ref_of(body.get("rankAfterIssue"), "key", "id"))
        if anchor is None:
            raise InvalidInput("Give rankBeforeIssue or rankAfterIssue.", field="rankBeforeIssue")
        issues = []
        for index, ref in enumerate(refs):
            try:
                issue, project = await access_issue(session, actor, ref)
            except NotFound:
                raise InvalidInput(f"Issue '{str(ref)[:100]}' does not exist.", field=f"issues.{index}") from None
            await authorize(session, actor, Permission.SCHEDULE_ISSUES, project)
            issues.append(issue)
        await do_rank_issues(session, actor=actor, issues=issues, anchor=anchor[0], before=anchor[1])
    return Response(status_code=204)


@router.post("/epic/{epic_ref}/issue", status_code=204)
async def move_to_epic(epic_ref: str, request: Request, ctx: Ctx) -> Response:
    """The issues' parent becomes the epic (`none`: they leave their epic)."""
    refs = issue_refs(await json_object(request))
    async with ctx.transaction() as (session, actor):
        epic_id = None
        if epic_ref.lower() != "none":
            epic, _ = await access_issue(session, actor, epic_ref)
            epic_id = epic.id
        for ref in refs:
            issue, project = await access_issue(session, actor, ref)
            await check_update_issue(session, actor=actor, issue=issue, project=project,
                                     data=IssueUpdate(parent_id=epic_id))
    return Response(status_code=204)
