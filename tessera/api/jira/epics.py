"""/rest/agile/1.0 epics and issues, read side: /epic/{epic} (the epic), /epic/{epic}/issue (its
issues, `none`: issues in no epic), /board/{id}/epic (the epics of the board's project) and
/issue/{issue} (an issue with its agile fields). An epic is an issue of an epic-level type and
its issues are those whose parent it is; the queries are JQL over Jira Software's epic fields
(tessera.jql.fields), so browsing rules and paging are the search's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.board_search import plan_all, ranked_issues
from tessera.api.jira.agile import board_for_request
from tessera.api.jira.issue_pages import issue_page
from tessera.api.jira.issues import get_issue
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, NotFound
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.service import access_issue
from tessera.jira_format.shapes import Links, page, split_values, truthy
from tessera.jql.search import MAX_RESULTS
from tessera.tenancy.actor import Actor

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
StartAt = Annotated[int, Query(ge=0, le=1_000_000)]
Listed = Annotated[list[str] | None, Query(max_length=200)]
Text = Annotated[str | None, Query(max_length=20_000)]
NOT_AN_EPIC = "The issue '{}' does not exist, you do not have permission to see it, or it is not an epic."
EPIC_COLORS = 14  # Jira Software's palette: color_1 … color_14


def epic_json(links: Links, catalog: OrgCatalog, epic: Issue) -> dict[str, Any]:
    """Jira Software's epic: its name is the summary and it is done when its status is; Tessera
    keeps no epic colour, so one of Jira's is picked from the id, stable per epic."""
    return {"id": epic.id, "key": epic.key, "self": f"{links.agile}/epic/{epic.id}", "name": epic.summary,
            "summary": epic.summary, "color": {"key": f"color_{epic.id % EPIC_COLORS + 1}"},
            "done": catalog.status(epic.status_id).category == "done"}


async def _epic(session: AsyncSession, actor: Actor, ref: str) -> tuple[Issue, OrgCatalog]:
    try:
        issue, _ = await access_issue(session, actor, ref)
    except NotFound:
        raise NotFound(NOT_AN_EPIC.format(ref[:100])) from None
    catalog = await catalog_for(session, actor)
    if catalog.issue_type(issue.issue_type_id).hierarchy_level <= 0:
        raise NotFound(NOT_AN_EPIC.format(ref[:100]))
    return issue, catalog


@router.get("/epic/{epic_ref}")
async def get_epic(epic_ref: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        epic, catalog = await _epic(session, actor, epic_ref)
        return epic_json(Links(ctx.settings.base_url), catalog, epic)


@router.get("/epic/{epic_ref}/issue")
async def epic_issues(epic_ref: str, ctx: Ctx, startAt: StartAt = 0,
                      maxResults: Annotated[int, Query(ge=0, le=MAX_RESULTS)] = 50, jql: Text = None,
                      fields: Listed = None, expand: Text = None) -> dict:
    """The epic's issues in rank order, in the search shape; `none`: issues in no epic (epics and
    sub-tasks excluded, as they never have one)."""
    async with ctx.transaction() as (session, actor):
        if epic_ref.lower() == "none":
            query = '"Epic Link" is EMPTY AND "Epic Name" is EMPTY'
        else:
            epic, _ = await _epic(session, actor, epic_ref)
            query = f'"Epic Link" = {epic.id}'
        return await issue_page(ctx, session, actor, queries=[query, jql or ""], extra=(), start_at=startAt,
                                max_results=maxResults, fields=split_values(fields), expand=expand,
                                client_jql=jql)


@router.get("/board/{board_ref}/epic")
async def board_epics(board_ref: str, ctx: Ctx, startAt: StartAt = 0,
                      maxResults: Annotated[int, Query(ge=0, le=MAX_RESULTS)] = 50,
                      done: Annotated[str | None, Query(max_length=10)] = None) -> dict:
    """The epics of the board's project in rank order; `done=true`/`false` keeps those done / not."""
    if done is not None and done.lower() not in ("true", "false"):
        raise InvalidInput("done is true or false.", field="done")
    limit = maxResults or 50
    async with ctx.transaction() as (session, actor):
        _, project = await board_for_request(session, actor, board_ref)
        query = f'project = {project.id} AND "Epic Name" is not EMPTY'
        if done is not None:
            query += ' AND "Epic Status" ' + ("=" if truthy(done) else "!=") + " Done"
        found = await ranked_issues(session, actor=actor, plans=await plan_all(session, actor, [query]),
                                    start_at=startAt, max_results=limit)
        catalog = await catalog_for(session, actor)
    links = Links(ctx.settings.base_url)
    return page([epic_json(links, catalog, issue) for issue in found.issues], start_at=startAt, max_results=limit,
                total=found.total)


@router.get("/issue/{issue_ref}")
async def agile_issue(issue_ref: str, ctx: Ctx, fields: Listed = None, expand: Text = None) -> dict:
    """The issue as /rest/api/2/issue has it, plus Jira Software's `epic` (null outside one)."""
    view = await get_issue(issue_ref, ctx, fields=fields, expand=expand)
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_ref)
        epic = None
        if issue.parent_id is not None:
            try:
                epic, catalog = await _epic(session, actor, str(issue.parent_id))
            except NotFound:  # a sub-task's parent, or an epic the caller may not see
                epic = None
        view.setdefault("fields", {})["epic"] = epic_json(Links(ctx.settings.base_url), catalog, epic) \
            if epic is not None else None
    return view
