"""/rest/api/{2,3}/issue/{issue}/changelog: an issue's history, oldest first, in Jira Cloud's
PageBean (`values`, `isLast`, `nextPage`). The issue's own `?expand=changelog` has it too, whole."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tessera.api.jira.dialect import links_for
from tessera.edge.context import RequestContext, request_context
from tessera.issues.history import load_changelog
from tessera.issues.service import access_issue
from tessera.jira_format.issue_json import history_json
from tessera.jira_format.shapes import page_bean
from tessera.tenancy.service import users_by_id

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


@router.get("/issue/{issue_ref}/changelog")
async def changelog(issue_ref: str, ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                    maxResults: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        histories = (await load_changelog(session, organization_id=actor.organization_id,
                                          issue_ids=[issue.id]))[issue.id]
        shown = histories[startAt:startAt + maxResults]
        authors = await users_by_id(session, actor.organization_id, {h["author_id"] for h in shown} - {None})
    links = links_for(ctx)
    return page_bean([history_json(links, h, authors.get(h["author_id"] or 0)) for h in shown], start_at=startAt,
                     max_results=maxResults, total=len(histories), url=str(ctx.request.url))
