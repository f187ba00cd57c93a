"""/v2 attachments: upload (multipart), list, metadata, download (streamed, safe headers), delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from tessera.api.rest.context import RequestContext, request_context
from tessera.api.rest.errors import error_body
from tessera.api.rest.idempotency import IDEMPOTENCY_DOC, Idempotency, upload_fingerprint
from tessera.api.rest.responses.collaboration import AttachmentListOut, AttachmentOut
from tessera.api.rest.responses.common import ErrorOut, ok
from tessera.collaboration.attachments import (
    access_attachment,
    access_attachment_quota,
    attach_staged_files,
    attachment_view,
    check_delete_attachment,
    discard_objects,
    list_attachments,
)
from tessera.collaboration.sniffing import may_render_inline
from tessera.collaboration.staging import MultipartReader
from tessera.collaboration.storage import ObjectMissing, ObjectStore
from tessera.errors import NotFound, TesseraError
from tessera.issues.service import access_issue
from tessera.issues.views import UserBrief
from tessera.tenancy.service import users_by_id

router = APIRouter(prefix="/v2", tags=["attachments"])
Ctx = Annotated[RequestContext, Depends(request_context)]
# The upload route's own request-size limit (see main.py): one file at the limit plus the
# multipart framing; several files in one request share it.
UPLOAD_PATH = re.compile(r"/v2/issues/[^/]+/attachments/?")
MULTIPART_OVERHEAD = 1024 * 1024
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                            "description": "One part per file"}}}}}}}
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private", "Accept-Ranges": "bytes"}
_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})")


def object_store(request: Request) -> ObjectStore:
    return request.app.state.object_store  # type: ignore[no-any-return]


Store = Annotated[ObjectStore, Depends(object_store)]


class RangeNotSatisfiable(TesseraError):
    code = "range_not_satisfiable"
    status = 416


@router.post("/issues/{issue_id}/attachments", status_code=201, openapi_extra=UPLOAD_BODY,
             responses={**ok(list[AttachmentOut], 201), **IDEMPOTENCY_DOC})
async def add_attachments(issue_id: str, request: Request, ctx: Ctx, store: Store,
                          idempotency: Idempotency) -> JSONResponse:
    """Multipart upload of one or several `file` parts; answers the new attachments, in order."""
    def render(attachments: list, authors: dict[int, UserBrief]) -> JSONResponse:
        return JSONResponse([attachment_view(a, authors, base_url=ctx.settings.base_url) for a in attachments],
                            status_code=201)

    return await upload_attachments(issue_id, request, ctx, store, idempotency, render)


async def upload_attachments(issue_ref: str, request: Request, ctx: RequestContext, store: ObjectStore,
                             idempotency: Idempotency,
                             render: Callable[[list, dict[int, UserBrief]], JSONResponse]) -> JSONResponse:
    """The upload of every edge: permission and quota in a read transaction, the body read with
    none open, the files attached under the Idempotency-Key. `render` shapes the answer (and
    what a replay of the key answers)."""
    async with ctx.transaction(write=False) as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        usage = await access_attachment_quota(session, actor=actor, project=project)
    reader = MultipartReader(request.headers.get("content-type"), max_file_bytes=ctx.settings.attachment_max_bytes)
    files = await reader.read(request.stream())
    authors = {actor.user_id: UserBrief(actor.user_id, actor.display_name, actor.email)}

    def answer(attachments: list) -> JSONResponse:
        return render(attachments, authors)

    attachments = await attach_staged_files(ctx.database, store, actor=actor, issue_id=issue.id, files=files,
                                            usage=usage,
                                            idempotency=idempotency.around(answer, upload_fingerprint(request, files)))
    return answer(attachments)


@router.get("/issues/{issue_id}/attachments", responses=ok(AttachmentListOut))
async def get_issue_attachments(issue_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, issue_id)
        attachments = await list_attachments(session, issue=issue)
        authors = await users_by_id(session, actor.organization_id, {a.author_id for a in attachments if a.author_id})
    return {"issue_id": issue.id, "total": len(attachments),
            "attachments": [attachment_view(a, authors, base_url=ctx.settings.base_url) for a in attachments]}


@router.get("/attachments/{attachment_id}", responses=ok(AttachmentOut))
async def get_attachment(attachment_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction() as (session, actor):
        attachment, _, _ = await access_attachment(session, actor, attachment_id)
        authors = await users_by_id(session, actor.organization_id, {attachment.author_id} - {None})
    return attachment_view(attachment, authors, base_url=ctx.settings.base_url)


@router.get("/attachments/{attachment_id}/content", response_class=StreamingResponse,
            responses={
                200: {"description": "The bytes, as the type Tessera sniffed.",
                      "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                206: {"description": "A byte range (Range header).",
                      "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                304: {"description": "If-None-Match holds the current ETag."},
                416: {"description": "The Range cannot be satisfied.", "model": ErrorOut}})
async def download_attachment(attachment_id: str, ctx: Ctx, store: Store,
                              range_header: Annotated[str | None, Header(alias="range", max_length=200)] = None,
                              if_none_match: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    """The bytes, streamed, as the type Tessera sniffed; downloaded (not rendered) unless a plain image."""
    async with ctx.transaction() as (session, actor):
        attachment, _, _ = await access_attachment(session, actor, attachment_id)
    etag = f'"{attachment.sha256}"'
    headers = {**SAFE_HEADERS, "ETag": etag,
               "Content-Disposition": content_disposition(attachment.filename,
                                                          inline=may_render_inline(attachment.content_type))}
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    try:
        span = parse_range(range_header, attachment.size)
    except RangeNotSatisfiable as error:
        return JSONResponse(error_body(error.code, error.message, data=error.data), status_code=error.status,
                            headers={**SAFE_HEADERS, "Content-Range": f"bytes */{attachment.size}"})
    start, end = span or (0, attachment.size - 1)
    try:
        chunks = await store.open(attachment.storage_key, start=start, end=end)
    except ObjectMissing:
        raise NotFound("The attachment's content is missing from storage.", code="attachment_content_missing") \
            from None
    headers["Content-Length"] = str(end - start + 1)
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{attachment.size}"
    media_type = attachment.content_type + ("; charset=utf-8" if attachment.content_type == "text/plain" else "")
    return StreamingResponse(chunks, status_code=206 if span else 200, media_type=media_type, headers=headers)


@router.delete("/attachments/{attachment_id}", status_code=204)
async def delete_attachment(attachment_id: str, ctx: Ctx, store: Store) -> Response:
    """The author, a project administrator or an organization administrator; frees the quota."""
    async with ctx.transaction() as (session, actor):
        attachment, issue, project = await access_attachment(session, actor, attachment_id)
        key = await check_delete_attachment(session, actor=actor, attachment=attachment, issue=issue,
                                            project=project)
    await discard_objects(store, [key])
    return Response(status_code=204)


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266 with an RFC 5987 `filename*` (UTF-8, percent-encoded) and a plain ASCII fallback."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in filename) or "attachment"
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=` range, clamped to the object; None means the whole object (no header, or a
    form we do not serve, such as several ranges, which RFC 9110 lets a server ignore)."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(f"The range is outside the attachment's {size} bytes.", data={"size": size})
