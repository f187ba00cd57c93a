"""/v2/issues: create, read, update, delete, history, transitions (comments: routers/comments.py)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.rest.errors import VERSION_DOC
from tessera.api.rest.preconditions import parse_if_match
from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.issues import ChangelogOut, IssueOut, IssueTransitionsOut
from tessera.api.rest.schemas import TransitionBody
from tessera.edge.context import RequestContext, request_context
from tessera.edge.idempotency import IDEMPOTENCY_DOC, Idempotency
from tessera.issues.attachments.service import check_delete_issue_with_attachments, discard_objects
from tessera.issues.creation import NewIssue, check_create_issue_for_view
from tessera.issues.history import load_changelog
from tessera.issues.inputs import IssueCreate, IssueUpdate
from tessera.issues.models import Issue
from tessera.issues.references import catalog_for
from tessera.issues.service import access_issue, check_update_issue
from tessera.issues.transitions import available_transitions, check_transition_issue_for_view
from tessera.issues.views import Facets, UserBrief, facets_of_new_issue, iso, render_issues
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.service import users_by_id

router = APIRouter(prefix="/v2", tags=["issues"])
Ctx = Annotated[RequestContext, Depends(request_context)]
ISSUE_DOC = ok(IssueOut)


def etag(issue_id: int, version: int) -> str:
    return f'W/"{issue_id}-{version}"'


def wants_minimal(prefer: str | None) -> bool:
    """RFC 7240 `Prefer: return=minimal`: the client does not want the resource back."""
    return prefer is not None and any(part.split(";", 1)[0].strip().replace(" ", "").lower() == "return=minimal"
                                      for part in prefer.split(","))


def parse_expand(expand: str | None) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in (expand or "").split(",") if part.strip())


async def _committed_issue_response(ctx: RequestContext, actor: Actor, issue: Issue, project: Project | None, *,
                                    status_code: int = 200, fresh: bool = False) -> JSONResponse:
    async with ctx.read_after_commit() as session:
        return await _issue_response(ctx, session, actor, issue, project, status_code=status_code, fresh=fresh)


async def _issue_response(ctx: RequestContext, session: AsyncSession, actor: Actor, issue: Issue,
                          project: Project | None,
                          *, status_code: int = 200, expand: frozenset[str] = frozenset(), fresh: bool = False,
                          facets: Facets | None = None, linked: list | None = None,
                          known_users: Sequence[UserBrief] = ()) -> JSONResponse:
    catalog = await catalog_for(session, actor)
    [view] = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=[issue], catalog=catalog,
                                 expand=expand, projects={project.id: project} if project else None, fresh=fresh,
                                 known_users=[UserBrief(actor.user_id, actor.display_name, actor.email),
                                              *known_users], facets=facets, linked=linked)
    view["self"] = f"{ctx.settings.base_url}/v2/issues/{issue.id}"
    return JSONResponse(view, status_code=status_code, headers={"ETag": etag(issue.id, issue.version)})


@router.post("/issues", status_code=201, responses={**ok(IssueOut, 201), **IDEMPOTENCY_DOC})
async def create_issue(body: IssueCreate, ctx: Ctx, idempotency: Idempotency) -> JSONResponse:
    async with ctx.transaction() as (session, actor):
        await idempotency.claim(session, actor)
        created = await check_create_issue_for_view(session, actor=actor, data=body)
        if idempotency.held:
            return await idempotency.store(session, actor, await _created_issue_response(ctx, actor, created, session))
    return await _created_issue_response(ctx, actor, created)


async def _created_issue_response(ctx: RequestContext, actor: Actor, created: NewIssue,
                                  within: AsyncSession | None = None) -> JSONResponse:
    """`within`: the create's own transaction, when the response is stored with it."""
    issue = created.issue
    known = [UserBrief(actor.user_id, actor.display_name, actor.email)]
    facets = facets_of_new_issue(issue.id, created.state)
    # Rendered from what the create already knows; a read transaction only for a parent or users it has not seen.
    needs_read = issue.parent_id is not None or issue.security_level_id is not None or any(
        uid not in (None, actor.user_id) for uid in (issue.assignee_id, issue.reporter_id)) or any(
        created.catalog.field(field_id).field_type in ("user", "sprint") for field_id in created.state.custom)
    async with (ctx.read_after_commit(within) if needs_read else nullcontext()) as session:
        [view] = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=[issue],
                                     catalog=created.catalog, projects={created.project.id: created.project},
                                     fresh=True, known_users=known, facets=facets)
    view["self"] = f"{ctx.settings.base_url}/v2/issues/{issue.id}"
    return JSONResponse(view, status_code=201, headers={"ETag": etag(issue.id, issue.version),
                                                        "Location": f"/v2/issues/{issue.id}"})


@router.get("/issues/{issue_id}", responses=ISSUE_DOC)
async def get_issue(issue_id: str, ctx: Ctx, expand: str | None = Query(default=None, max_length=200,
                    description="Comma-separated: changelog")) -> JSONResponse:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        return await _issue_response(ctx, session, actor, issue, project, expand=parse_expand(expand))


@router.put("/issues/{issue_id}", responses={**ISSUE_DOC, **VERSION_DOC})
async def update_issue(issue_id: str, body: IssueUpdate, ctx: Ctx,
                       if_match: Annotated[str | None, Header(max_length=100)] = None) -> JSONResponse:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        expected = parse_if_match(if_match)
        issue = await check_update_issue(session, actor=actor, issue=issue, project=project, data=body,
                                         expected_version=expected, via_if_match=expected is not None)
    return await _committed_issue_response(ctx, actor, issue, project)


@router.delete("/issues/{issue_id}", status_code=204)
async def delete_issue(issue_id: str, ctx: Ctx, delete_subtasks: bool = False) -> Response:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        _, object_keys = await check_delete_issue_with_attachments(session, actor=actor, issue=issue, project=project,
                                                                   delete_subtasks=delete_subtasks)
    await discard_objects(ctx.request.app.state.object_store, object_keys)
    return Response(status_code=204)


@router.get("/issues/{issue_id}/changelog", responses=ok(ChangelogOut))
async def issue_changelog(issue_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_id)
        histories = (await load_changelog(session, organization_id=actor.organization_id, issue_ids=[issue.id]))[
            issue.id]
        users = await users_by_id(session, actor.organization_id, {h["author_id"] for h in histories if h["author_id"]})
    return {"issue_id": issue.id, "total": len(histories), "histories": [
        {**h, "created": iso(h["created"]),
         "author": {"id": users[h["author_id"]].id, "display_name": users[h["author_id"]].display_name}
         if h["author_id"] in users else None} for h in histories]}


@router.get("/issues/{issue_id}/transitions", responses=ok(IssueTransitionsOut))
async def list_issue_transitions(issue_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        transitions = await available_transitions(session, actor=actor, issue=issue, project=project)
    return {"issue_id": issue.id, "transitions": transitions}


@router.post("/issues/{issue_id}/transitions/{transition_id}", responses={
    **ISSUE_DOC, 204: {"description": "With `Prefer: return=minimal` (as Jira's transition endpoint answers): "
                                      "the transition was made; the issue's new ETag, no body."}})
async def transition_issue(issue_id: str, transition_id: str, ctx: Ctx, body: TransitionBody | None = None,
                           prefer: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    body = body or TransitionBody()
    minimal = wants_minimal(prefer)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        done = await check_transition_issue_for_view(session, actor=actor, issue=issue, project=project,
                                                     transition_ref=transition_id, fields=body.fields,
                                                     comment=body.comment, expected_version=body.version)
        issue = done.issue
        if minimal:
            response: Response = Response(status_code=204, headers={
                "ETag": etag(issue.id, issue.version), "Preference-Applied": "return=minimal"})
        else:
            # Rendered from what the transition read (on PostgreSQL, in its own statement), reading only what
            # it did not, by the transaction that made the change. Sent only once the change has committed.
            response = await _issue_response(ctx, session, actor, issue, project, facets=done.facets,
                                             linked=done.linked, known_users=done.users)
    return response
