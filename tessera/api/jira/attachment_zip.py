"""Jira Server's "download all attachments": `GET /secure/attachmentzip/{issueId}.zip`, the one
archive of an issue's files that Jira's issue page links to and that scripts fetch with Basic
auth (Jira has no /rest form of it). Outside /rest, as in Jira, so it is its own small app with
the Jira API's authentication and error shape (tessera.issues.attachments.bundle streams it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import StreamingResponse
from starlette.routing import Mount

from tessera.api.jira.errors import install_jira_error_handlers, internal_error, tessera_error
from tessera.edge.by_path import Edge, edge_mount
from tessera.edge.context import RequestContext, request_context
from tessera.edge.guard import RequestGuard
from tessera.edge.uploads import Store, content_disposition
from tessera.issues.attachments.bundle import access_bundle, stream_bundle

PREFIX = "/secure"
router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


@router.get("/attachmentzip/{issue_id}.zip")
async def attachment_zip(issue_id: str, ctx: Ctx, store: Store) -> StreamingResponse:
    """The issue's attachments (by issue id, or key) as one ZIP; repeated file names are numbered."""
    async with ctx.transaction() as (session, actor):
        bundle = await access_bundle(session, actor, issue_id, max_bytes=ctx.settings.attachment_zip_max_bytes)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private",
               "Content-Disposition": content_disposition(bundle.filename, inline=False)}
    return StreamingResponse(stream_bundle(bundle, store), media_type="application/zip", headers=headers)


def secure_mount(state: Any) -> Mount:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state = state
    install_jira_error_handlers(app)
    app.include_router(router)
    app.add_middleware(RequestGuard, edges=[Edge("", tessera_error, internal_error)])
    return edge_mount(PREFIX, app)
