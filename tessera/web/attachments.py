"""The issue view's attachments panel: list, upload (multipart form), delete.

The panel loads itself into the issue page (`issue/_attachments.html`, fetched by HTMX), so the
issue view needs no attachment code. Uploads go through the same domain steps as the REST API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from tessera.issues.attachments.service import (
    access_attachment,
    access_attachment_quota,
    attach_staged_files,
    check_delete_attachment,
    discard_objects,
    list_attachments,
)
from tessera.issues.attachments.staging import FileStager, StagedFile, require_files, stage_stream
from tessera.issues.attachments.storage import ObjectStore
from tessera.issues.models import Issue
from tessera.issues.service import access_issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, has_permission
from tessera.tenancy.service import users_by_id
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute)
UPLOAD_PATH = re.compile(r"/browse/[^/]+/attachments")
PANEL = "issue/_attachments.html"
_READ_BYTES = 256 * 1024


def _store(request: Request) -> ObjectStore:
    return request.app.state.object_store  # type: ignore[no-any-return]


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


async def panel_values(session: AsyncSession, actor: Actor, issue: Issue, project: Project,
                       max_bytes: int) -> dict[str, Any]:
    attachments = await list_attachments(session, issue=issue)
    authors = await users_by_id(session, actor.organization_id, {a.author_id for a in attachments if a.author_id})
    delete_all = await has_permission(session, actor, Permission.DELETE_ALL_ATTACHMENTS, project, issue)
    delete_own = await has_permission(session, actor, Permission.DELETE_OWN_ATTACHMENTS, project, issue)
    return {
        "issue": {"key": issue.key}, "attachments": attachments, "attachment_authors": authors,
        "deletable": {a.id for a in attachments if delete_all or (delete_own and a.author_id == actor.user_id)},
        "may_attach": await has_permission(session, actor, Permission.CREATE_ATTACHMENTS, project, issue),
        "size_text": size_text, "limit_text": size_text(max_bytes),
    }


async def _render_panel(web: Web, issue_id: int) -> Response:
    async with web.transaction(write=False) as (session, actor):
        issue, project = await access_issue(session, actor, issue_id)
        values = await panel_values(session, actor, issue, project, web.settings.attachment_max_bytes)
    return web.render(PANEL, **values)


@router.get("/browse/{issue_key}/attachments")
async def attachments_panel(issue_key: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        values = await panel_values(session, actor, issue, project, web.settings.attachment_max_bytes)
    return web.render(PANEL, **values)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(_READ_BYTES):
        yield chunk


async def _stage_form_files(web: Web) -> list[StagedFile]:
    """The form's `file` inputs (already spooled by the form parser), checked and hashed."""
    form = await web.request.form()
    files: list[StagedFile] = []
    try:
        for value in form.getlist("file"):
            if not isinstance(value, UploadFile) or (not (value.filename or "").strip() and not value.size):
                continue  # an empty file input
            stager = FileStager(value.filename or "", value.content_type, max_bytes=web.settings.attachment_max_bytes)
            files.append(await stage_stream(stager, _chunks(value)))
        return require_files(files)
    except BaseException:
        for staged in files:
            staged.close()
        raise


@router.post("/browse/{issue_key}/attachments")
async def upload_attachments(issue_key: str, web: Web) -> Response:
    store = _store(web.request)
    async with web.transaction(write=False) as (session, actor):
        issue, project = await access_issue(session, actor, issue_key)
        usage = await access_attachment_quota(session, actor=actor, project=project)
    files = await _stage_form_files(web)
    await attach_staged_files(web.database, store, actor=actor, issue_id=issue.id, files=files, usage=usage)
    if not web.is_htmx:
        return web.redirect(f"/browse/{issue.key}")
    return await _render_panel(web, issue.id)


@router.post("/browse/{issue_key}/attachments/{attachment_id}/delete")
async def delete_attachment(issue_key: str, attachment_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        attachment, issue, project = await access_attachment(session, actor, attachment_id)
        key = await check_delete_attachment(session, actor=actor, attachment=attachment, issue=issue,
                                            project=project)
    await discard_objects(_store(web.request), [key])
    if not web.is_htmx:
        return web.redirect(f"/browse/{issue.key}")
    return await _render_panel(web, issue.id)
