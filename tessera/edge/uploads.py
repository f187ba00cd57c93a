"""Attachments as /v2 and /rest/api/2 both serve them: the multipart upload (authorized and
quota-checked before the body is read, stored and recorded by tessera.issues.attachments), the
object store a route reads from, and the headers that make a download safe to open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from tessera.edge.context import RequestContext
from tessera.edge.idempotency import IdempotentCreate, upload_fingerprint
from tessera.issues.attachments.service import access_attachment_quota, attach_staged_files
from tessera.issues.attachments.staging import MultipartReader
from tessera.issues.attachments.storage import ObjectStore
from tessera.issues.service import access_issue
from tessera.issues.views import UserBrief

# Downloads never run as a page of ours: no sniffing, no scripts, no plugins, nothing shared.
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private", "Accept-Ranges": "bytes"}


def object_store(request: Request) -> ObjectStore:
    return request.app.state.object_store  # type: ignore[no-any-return]


Store = Annotated[ObjectStore, Depends(object_store)]

# Renders the new attachments (in upload order) with their author for the transport's answer.
RenderUpload = Callable[[list[Any], dict[int, UserBrief]], Response]


async def receive_upload(ctx: RequestContext, store: ObjectStore, *, issue_ref: str,
                         idempotency: IdempotentCreate, render: RenderUpload) -> Response:
    """The `file` parts of a multipart request, attached to the issue in one write transaction
    (tessera.issues.attachments.service). Access and the quota are checked in a read transaction
    before a byte of the body is read; an Idempotency-Key replays the first answer."""
    async with ctx.transaction(write=False) as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        usage = await access_attachment_quota(session, actor=actor, project=project)
    reader = MultipartReader(ctx.request.headers.get("content-type"), max_file_bytes=ctx.settings.attachment_max_bytes)
    files = await reader.read(ctx.request.stream())
    authors = {actor.user_id: UserBrief(actor.user_id, actor.display_name, actor.email)}

    def answer(attachments: list[Any]) -> Response:
        return render(attachments, authors)

    attachments = await attach_staged_files(
        ctx.database, store, actor=actor, issue_id=issue.id, files=files, usage=usage,
        idempotency=idempotency.around(answer, upload_fingerprint(ctx.request, files)))
    return answer(attachments)


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266 with an RFC 5987 `filename*` (UTF-8, percent-encoded) and a plain ASCII fallback."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in filename) or "attachment"
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
