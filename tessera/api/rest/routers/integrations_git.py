"""/v2/integrations/git: an organization admin's Git connections, the URL each host posts its
events to, and /v2/issues/{id}/development, the issue's development panel. The domain
(tessera.integrations) checks and does everything; this translates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field, StrictBool, StringConstraints

from tessera.api.rest.responses.common import ok
from tessera.api.rest.responses.integrations_git import (
    DevelopmentOut,
    GitConnectionListOut,
    GitConnectionOut,
    GitEventOut,
)
from tessera.api.rest.schemas import Body, Name, StoredId
from tessera.crypto.secret_box import SecretBox
from tessera.edge.context import RequestContext, request_context
from tessera.integrations.development import development_of
from tessera.integrations.git.connections import (
    ConnectionSpec,
    access_connection,
    check_create_connection,
    check_update_connection,
    do_delete_connection,
    events_url,
    list_connections,
)
from tessera.integrations.git.inbound import receive_event
from tessera.integrations.git.models import GitConnection
from tessera.issues.service import access_issue
from tessera.issues.views import iso

router = APIRouter(prefix="/v2", tags=["integrations"])
Ctx = Annotated[RequestContext, Depends(request_context)]


class GitConnectionCreate(Body):
    provider: Annotated[str, StringConstraints(max_length=16)]
    name: Name
    # Generated (and answered once) when not given.
    secret: Annotated[str, StringConstraints(max_length=255)] | None = None
    repository: Annotated[str, StringConstraints(max_length=500)] | None = None
    rules: list[dict[str, Any]] | None = None


class GitConnectionPatch(Body):
    """Only the fields sent change. Lengths and emptiness are the domain's to check, so that a bad
    value is a 400 naming its field, as a bad rule is."""

    name: str | None = Field(default=None, description="At most 255 characters.")
    repository: str | None = Field(default=None, description="'owner/name'; null or empty: events of every "
                                                             "repository are accepted.")
    rules: list[dict[str, Any]] | None = Field(default=None, description="Replaces the rules; null clears them.")
    secret: str | None = Field(default=None, description="A new secret of your choosing (at most 255 characters).")
    rotate_secret: StrictBool = Field(default=False, description="Generate a new secret (answered once, as "
                                                                 "`secret`).")


def connection_view(ctx: RequestContext, connection: GitConnection, secret: str | None = None) -> dict[str, Any]:
    shown = {"id": connection.id, "provider": connection.provider, "name": connection.name,
             "repository": connection.repository, "rules": list(connection.rules or []),
             "webhook_url": events_url(ctx.settings.base_url, connection),
             "owner_id": connection.owner_id, "created": iso(connection.created_at)}
    if secret is not None:
        shown["secret"] = secret
    return shown


@router.get("/integrations/git", responses=ok(GitConnectionListOut))
async def get_connections(ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return {"connections": [connection_view(ctx, c) for c in await list_connections(session, actor)]}


@router.post("/integrations/git", status_code=201, responses=ok(GitConnectionOut, 201))
async def create_connection(body: GitConnectionCreate, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        created = await check_create_connection(session, actor=actor, spec=ConnectionSpec(**body.model_dump()),
                                                box=SecretBox.from_settings(ctx.settings))
        return connection_view(ctx, created.connection, created.secret)


@router.get("/integrations/git/{connection_id}", responses=ok(GitConnectionOut))
async def get_connection(connection_id: StoredId, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        return connection_view(ctx, await access_connection(session, actor, connection_id))


@router.patch("/integrations/git/{connection_id}", responses=ok(GitConnectionOut))
async def patch_connection(connection_id: StoredId, body: GitConnectionPatch, ctx: Ctx) -> dict:
    """A rotated secret is answered once, as `secret`; events signed with the old one are refused."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    async with ctx.transaction() as (session, actor):
        updated = await check_update_connection(session, actor=actor,
                                                connection=await access_connection(session, actor, connection_id),
                                                box=SecretBox.from_settings(ctx.settings), **changes)
        return connection_view(ctx, updated.connection, updated.secret)


@router.delete("/integrations/git/{connection_id}", status_code=204)
async def delete_connection(connection_id: StoredId, ctx: Ctx) -> Response:
    async with ctx.transaction() as (session, actor):
        await do_delete_connection(session, actor=actor,
                                   connection=await access_connection(session, actor, connection_id))
    return Response(status_code=204)


@router.post("/integrations/git/{connection_id}/events", responses=ok(GitEventOut))
async def receive_git_event(connection_id: str, request: Request, ctx: Ctx) -> dict:
    """Called by the Git host, not by a user: authenticated by the host's signature."""
    body = await request.body()
    async with ctx.anonymous() as session:
        received = await receive_event(session, connection_ref=connection_id, body=body, headers=request.headers,
                                       box=SecretBox.from_settings(ctx.settings))
    return {"events": received.events, "linked": received.linked, "ignored": received.ignored}


@router.get("/issues/{issue_id}/development", responses=ok(DevelopmentOut))
async def get_development(issue_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _project = await access_issue(session, actor, issue_id)
        return await development_of(session, actor, issue)
