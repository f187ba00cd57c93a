"""/rest/api/2/issue/{issue}/worklog: list, add, get, update, delete. `adjustEstimate`
(auto, new with `newEstimate`, manual with `reduceBy` / `increaseBy`, leave) adjusts the
issue's remaining estimate as in Jira (tessera.issues.time_tracking)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.bodies import json_object
from tessera.api.jira.dialect import is_cloud, links_for, worklog_body_from
from tessera.edge.context import RequestContext, request_context
from tessera.edge.idempotency import IDEMPOTENCY_DOC, Idempotency
from tessera.errors import InvalidInput
from tessera.issues.durations import parse_duration
from tessera.issues.service import access_issue
from tessera.issues.time_tracking import RemainingAdjustment, validate_adjustment
from tessera.issues.worklogs.models import Worklog
from tessera.issues.worklogs.service import (
    access_worklog,
    check_add_worklog,
    check_delete_worklog,
    check_update_worklog,
    list_worklogs,
)
from tessera.jira_format.issue_json import worklog_json
from tessera.jira_format.shapes import parse_jira_time
from tessera.tenancy.service import users_by_id

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


def _seconds(body: dict[str, Any], *, required: bool) -> int | None:
    if body.get("timeSpent") is not None:
        return parse_duration(body["timeSpent"])
    if body.get("timeSpentSeconds") is not None:
        return body["timeSpentSeconds"]
    if required:
        raise InvalidInput("You must indicate the time spent working.", field="timeLogged")
    return None


def _adjustment(request: Request) -> RemainingAdjustment:
    params = request.query_params
    return validate_adjustment(params.get("adjustEstimate"), new_estimate=params.get("newEstimate"),
                            reduce_by=params.get("reduceBy"), increase_by=params.get("increaseBy"))


async def _render(ctx: RequestContext, worklogs: list[Worklog], within: AsyncSession | None = None) -> list[dict]:
    ids = {w.author_id for w in worklogs} | {w.update_author_id for w in worklogs}
    ids.discard(None)
    async with ctx.read_after_commit(within) as session:
        users = await users_by_id(session, worklogs[0].organization_id, ids) if worklogs and ids else {}
    links = links_for(ctx)
    return [worklog_json(links, w, users) for w in worklogs]


@router.get("/issue/{issue_ref}/worklog")
async def get_worklogs(issue_ref: str, ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                       maxResults: Annotated[int, Query(ge=1, le=5000)] = 5000) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        worklogs, total = await list_worklogs(session, issue=issue, start_at=startAt, max_results=maxResults)
    return {"startAt": startAt, "maxResults": maxResults, "total": total,
            "worklogs": await _render(ctx, list(worklogs))}


@router.post("/issue/{issue_ref}/worklog", status_code=201, responses=IDEMPOTENCY_DOC)
async def add_worklog(issue_ref: str, request: Request, ctx: Ctx, idempotency: Idempotency) -> JSONResponse:
    body = worklog_body_from(await json_object(request), cloud=is_cloud(ctx))
    started = parse_jira_time(body["started"], field="started") if body.get("started") else None
    adjustment = _adjustment(request)
    async with ctx.transaction() as (session, actor):
        await idempotency.claim(session, actor)
        issue, project = await access_issue(session, actor, issue_ref)
        worklog = await check_add_worklog(session, actor=actor, issue=issue, project=project,
                                          time_spent_seconds=_seconds(body, required=True), started=started,
                                          comment=body.get("comment"), adjustment=adjustment)
        if idempotency.held:
            [view] = await _render(ctx, [worklog], within=session)
            return await idempotency.store(session, actor, JSONResponse(view, status_code=201))
    [view] = await _render(ctx, [worklog])
    return JSONResponse(view, status_code=201)


@router.get("/issue/{issue_ref}/worklog/{worklog_id}")
async def get_worklog(issue_ref: str, worklog_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        worklog = await access_worklog(session, issue=issue, ref=worklog_id)
    [view] = await _render(ctx, [worklog])
    return view


@router.put("/issue/{issue_ref}/worklog/{worklog_id}")
async def update_worklog(issue_ref: str, worklog_id: str, request: Request, ctx: Ctx) -> dict:
    body = worklog_body_from(await json_object(request), cloud=is_cloud(ctx))
    started = parse_jira_time(body["started"], field="started") if body.get("started") else None
    adjustment = _adjustment(request)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        worklog = await access_worklog(session, issue=issue, ref=worklog_id)
        worklog = await check_update_worklog(session, actor=actor, issue=issue, project=project, worklog=worklog,
                                             time_spent_seconds=_seconds(body, required=False), started=started,
                                             comment=body.get("comment"), adjustment=adjustment)
    [view] = await _render(ctx, [worklog])
    return view


@router.delete("/issue/{issue_ref}/worklog/{worklog_id}", status_code=204)
async def delete_worklog(issue_ref: str, worklog_id: str, request: Request, ctx: Ctx) -> Response:
    adjustment = _adjustment(request)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        worklog = await access_worklog(session, issue=issue, ref=worklog_id)
        await check_delete_worklog(session, actor=actor, issue=issue, project=project, worklog=worklog,
                                   adjustment=adjustment)
    return Response(status_code=204)
