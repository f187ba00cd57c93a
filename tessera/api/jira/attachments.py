"""/rest/api/2/issue/{issue}/attachments (multipart upload, `X-Atlassian-Token: no-check`),
/rest/api/2/attachment/{id} (metadata, delete), /attachment/content/{id} (the bytes) and
/attachment/meta. Same storage, quota and safety rules as /v2 (tessera.issues.attachments)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from tessera.api.jira.dialect import links_for
from tessera.edge.context import RequestContext, request_context
from tessera.edge.idempotency import IDEMPOTENCY_DOC, Idempotency
from tessera.edge.uploads import SAFE_HEADERS, Store, content_disposition, receive_upload
from tessera.errors import NotFound, PermissionDenied
from tessera.issues.attachments.archive import MAX_ENTRIES, archive_entries, human_size
from tessera.issues.attachments.service import access_attachment, check_delete_attachment, discard_objects
from tessera.issues.attachments.sniffing import may_render_inline
from tessera.issues.attachments.storage import ObjectMissing
from tessera.jira_format.issue_json import attachment_json
from tessera.tenancy.service import users_by_id

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
UPLOAD_PATH = re.compile(r"/rest/api/(2|latest)/issue/[^/]+/attachments/?")


@router.post("/issue/{issue_ref}/attachments", responses=IDEMPOTENCY_DOC)
async def add_attachments(issue_ref: str, request: Request, ctx: Ctx, store: Store,
                          idempotency: Idempotency) -> Response:
    """As Jira: the `X-Atlassian-Token: no-check` header is required (XSRF protection), the
    files are `file` parts, the answer is a JSON array of the new attachments (200)."""
    if request.headers.get("x-atlassian-token", "").lower() != "no-check":
        raise PermissionDenied("XSRF check failed: send the header X-Atlassian-Token: no-check.")
    links = links_for(ctx)

    def render(attachments: list, authors: dict) -> JSONResponse:
        return JSONResponse([attachment_json(links, a, authors) for a in attachments])

    return await receive_upload(ctx, store, issue_ref=issue_ref, idempotency=idempotency, render=render)


@router.get("/attachment/meta")
async def attachment_meta(ctx: Ctx) -> dict:
    return {"enabled": True, "uploadLimit": ctx.settings.attachment_max_bytes}


@router.get("/attachment/{attachment_id}")
async def get_attachment(attachment_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        attachment, _, _ = await access_attachment(session, actor, attachment_id)
        authors = await users_by_id(session, actor.organization_id, {attachment.author_id} - {None})
    return attachment_json(links_for(ctx), attachment, authors)


@router.get("/attachment/content/{attachment_id}")
async def attachment_content(attachment_id: str, ctx: Ctx, store: Store) -> Response:
    async with ctx.transaction() as (session, actor):
        attachment, _, _ = await access_attachment(session, actor, attachment_id)
    try:
        chunks = await store.open(attachment.storage_key, start=0, end=attachment.size - 1)
    except ObjectMissing:
        raise NotFound("The attachment's content is missing from storage.") from None
    headers = {**SAFE_HEADERS, "Content-Length": str(attachment.size),
               "Content-Disposition": content_disposition(attachment.filename,
                                                          inline=may_render_inline(attachment.content_type))}
    return StreamingResponse(chunks, media_type=attachment.content_type, headers=headers)


async def _entries(ctx: RequestContext, attachment_id: str, store: Any, limit: int) -> tuple[Any, list, int]:
    async with ctx.transaction() as (session, actor):
        attachment, _, _ = await access_attachment(session, actor, attachment_id)
    try:
        data = await store.get(attachment.storage_key)
    except ObjectMissing:
        raise NotFound("The attachment's content is missing from storage.") from None
    entries, total = archive_entries(data, limit=limit)
    return attachment, entries, total


@router.get("/attachment/{attachment_id}/expand/human")
async def expand_human(attachment_id: str, ctx: Ctx, store: Store,
                       maxEntries: Annotated[int, Query(ge=0, le=MAX_ENTRIES)] = MAX_ENTRIES) -> dict:  # noqa: N803
    """The files of a ZIP attachment, labelled for people (Jira's attachment expansion)."""
    attachment, entries, total = await _entries(ctx, attachment_id, store, maxEntries)
    return {"id": attachment.id, "name": attachment.filename, "mediaType": attachment.content_type,
            "totalEntryCount": total,
            "entries": [{"path": e.path, "index": e.index, "size": human_size(e.size), "mediaType": e.media_type,
                         "label": e.path.rsplit("/", 1)[-1]} for e in entries]}


@router.get("/attachment/{attachment_id}/expand/raw")
async def expand_raw(attachment_id: str, ctx: Ctx, store: Store,
                     maxEntries: Annotated[int, Query(ge=0, le=MAX_ENTRIES)] = MAX_ENTRIES) -> dict:  # noqa: N803
    _, entries, total = await _entries(ctx, attachment_id, store, maxEntries)
    return {"totalEntryCount": total, "entries": [
        {"entryIndex": e.index, "name": e.path, "size": e.size, "mediaType": e.media_type} for e in entries]}


@router.delete("/attachment/{attachment_id}", status_code=204)
async def delete_attachment(attachment_id: str, ctx: Ctx, store: Store) -> Response:
    async with ctx.transaction() as (session, actor):
        attachment, issue, project = await access_attachment(session, actor, attachment_id)
        key = await check_delete_attachment(session, actor=actor, attachment=attachment, issue=issue,
                                            project=project)
    await discard_objects(store, [key])
    return Response(status_code=204)
