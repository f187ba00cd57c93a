"""Attachments on issues: see, add, delete.

Adding runs in three steps so that no object-store I/O happens inside a database transaction
(an S3 upload there would hold the quota row's lock for its whole duration):
1. `access_attachment_quota` (read transaction): the caller may attach to the issue; a usage snapshot.
2. the transport stages the files (staging.py), then `put_staged_files` writes them to the store
   under fresh organization-scoped keys, outside any transaction;
3. `check_add_attachments` (write transaction): reserves quota atomically, inserts the rows, their
   history and their events. If it fails, the transport calls `discard_objects` on the keys, so
   a refused or failed upload leaves no object behind and counts no usage.
Deleting frees the quota in the transaction and removes the object after commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.engine import Database
from tessera.db.refs import parse_id
from tessera.errors import NotFound
from tessera.events.outbox import emit
from tessera.events.types import AttachmentAdded, AttachmentDeleted, AttachmentEvent
from tessera.issues.attachments.models import Attachment
from tessera.issues.attachments.staging import StagedFile
from tessera.issues.attachments.storage import ObjectStore, StoredObject, attachment_key
from tessera.issues.attachments.storage_usage import (
    StorageUsage,
    release_storage,
    reserve_storage,
    storage_usage,
    validate_fits,
)
from tessera.issues.history import FieldChange, record_changes
from tessera.issues.models import Issue
from tessera.issues.service import access_issue, check_delete_issue
from tessera.issues.views import UserBrief, iso
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.idempotency import IdempotentWrite
from tessera.tenancy.models import User
from tessera.tenancy.permissions import Permission, authorize, has_permission

log = logging.getLogger("tessera.attachments")
NOT_FOUND = "Attachment does not exist or you do not have permission to see it."


@dataclass(frozen=True)
class StoredUpload:
    """A staged file now in the object store, not yet recorded."""

    staged: StagedFile
    stored: StoredObject


async def access_attachment(session: AsyncSession, actor: Actor, ref: object
                            ) -> tuple[Attachment, Issue, Project]:
    """Load an attachment with its issue and project and check the caller may browse them, the
    issue's security level included; any attachment they may not see (another organization's
    included) is NotFound."""
    attachment_id = parse_id(ref)
    if attachment_id is None:
        raise NotFound(NOT_FOUND)
    row = (await session.execute(
        select(Attachment, Issue, Project)
        .join(Issue, (Issue.id == Attachment.issue_id) & (Issue.organization_id == Attachment.organization_id))
        .join(Project, Project.id == Issue.project_id)
        .where(Attachment.organization_id == actor.organization_id, Attachment.id == attachment_id))).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    attachment, issue, project = row
    try:
        await authorize(session, actor, Permission.BROWSE_PROJECTS, project, issue)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    return attachment, issue, project


async def list_attachments(session: AsyncSession, *, issue: Issue) -> Sequence[Attachment]:
    return (await session.scalars(select(Attachment).where(
        Attachment.organization_id == issue.organization_id, Attachment.issue_id == issue.id)
        .order_by(Attachment.created_at, Attachment.id))).all()


async def access_attachment_quota(session: AsyncSession, *, actor: Actor, project: Project) -> StorageUsage:
    await authorize(session, actor, Permission.CREATE_ATTACHMENTS, project)
    usage = await storage_usage(session, actor.organization_id)
    validate_fits(usage, 1)
    return usage


async def put_staged_files(store: ObjectStore, *, organization_id: int, files: Sequence[StagedFile],
                           usage: StorageUsage | None = None) -> list[StoredUpload]:
    """Write staged files to the store under new keys. All or nothing: a failure deletes what this
    call already stored. Refuses early when `usage` shows the files cannot fit."""
    if usage is not None:
        validate_fits(usage, sum(f.size for f in files))
    uploads: list[StoredUpload] = []
    try:
        for staged in files:
            staged.file.seek(0)
            stored = await store.put(attachment_key(organization_id, uuid.uuid4().hex), staged.file,
                                     content_type=staged.content_type)
            uploads.append(StoredUpload(staged=staged, stored=stored))
    except BaseException:
        await discard_objects(store, [u.stored.key for u in uploads])
        raise
    return uploads


async def attach_staged_files(database: Database, store: ObjectStore, *, actor: Actor, issue_id: int,
                              files: Sequence[StagedFile], usage: StorageUsage | None = None,
                              idempotency: IdempotentWrite | None = None) -> list[Attachment]:
    """Steps 3 and 4 for every transport: write the staged files to the store, then record them in
    a transaction of their own; if recording fails, the stored objects are deleted. The staged
    files are closed either way. `idempotency` (an Idempotency-Key) claims its key first in that
    transaction and stores the response last; a replay (tenancy.idempotency.Replayed) records
    nothing and deletes this request's stored objects."""
    try:
        uploads = await put_staged_files(store, organization_id=actor.organization_id, files=files, usage=usage)
        try:
            async with database.unit_of_work(organization_id=actor.organization_id) as session:
                if idempotency is not None:
                    await idempotency.claim(session, actor)
                issue, project = await access_issue(session, actor, issue_id)
                attachments = await check_add_attachments(session, actor=actor, issue=issue, project=project,
                                                          uploads=uploads)
                if idempotency is not None:
                    await idempotency.record(session, actor, attachments)
                return attachments
        except BaseException:
            await discard_objects(store, [u.stored.key for u in uploads])
            raise
    finally:
        for staged in files:
            staged.close()


async def check_add_attachments(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                uploads: Sequence[StoredUpload], at: datetime | None = None) -> list[Attachment]:
    """Record stored uploads on the issue: quota, rows, one history group, one event per file."""
    await authorize(session, actor, Permission.CREATE_ATTACHMENTS, project, issue)
    await reserve_storage(session, organization_id=actor.organization_id,
                          size=sum(u.stored.size for u in uploads))
    at = at or datetime.now(UTC)
    attachments = [Attachment(organization_id=actor.organization_id, issue_id=issue.id, filename=u.staged.filename,
                              content_type=u.staged.content_type,
                              declared_content_type=u.staged.declared_content_type, size=u.stored.size,
                              sha256=u.stored.sha256, storage_key=u.stored.key, author_id=actor.user_id,
                              created_at=at) for u in uploads]
    session.add_all(attachments)
    await session.flush()
    await record_changes(session, issue=issue, author_id=actor.user_id, at=at, changes=[
        FieldChange(field="Attachment", field_id="attachment", from_value=None, from_string=None,
                    to_value=str(a.id), to_string=a.filename) for a in attachments])
    for attachment in attachments:
        await _emit(session, AttachmentAdded, actor=actor, issue=issue, attachment=attachment, at=at)
    return attachments


async def check_delete_attachment(session: AsyncSession, *, actor: Actor, attachment: Attachment, issue: Issue,
                                  project: Project, at: datetime | None = None) -> str:
    """Delete the row, free its quota, record history and the event. Returns the object key for
    the caller to remove once the transaction has committed."""
    own = attachment.author_id == actor.user_id and \
        await has_permission(session, actor, Permission.DELETE_OWN_ATTACHMENTS, project, issue)
    if not own:
        await authorize(session, actor, Permission.DELETE_ALL_ATTACHMENTS, project, issue)
    at = at or datetime.now(UTC)
    await session.execute(delete(Attachment).where(Attachment.organization_id == actor.organization_id,
                                                   Attachment.id == attachment.id))
    await release_storage(session, organization_id=actor.organization_id, size=attachment.size)
    await record_changes(session, issue=issue, author_id=actor.user_id, at=at, changes=[
        FieldChange(field="Attachment", field_id="attachment", from_value=str(attachment.id),
                    from_string=attachment.filename, to_value=None, to_string=None)])
    await _emit(session, AttachmentDeleted, actor=actor, issue=issue, attachment=attachment, at=at)
    return attachment.storage_key


async def check_delete_issue_with_attachments(session: AsyncSession, *, actor: Actor, issue: Issue,
                                              project: Project, delete_subtasks: bool = False
                                              ) -> tuple[list[int], list[str]]:
    """`check_delete_issue`, also freeing the quota that the deleted issues' attachments held (the
    rows go with the issues, by cascade). Returns the deleted issue ids and the object keys to
    remove after commit. Attachments of the issue and its direct children are read first: the
    issue service decides which children go, and only theirs are released."""
    held = (await session.execute(select(Attachment.issue_id, Attachment.size, Attachment.storage_key).where(
        Attachment.organization_id == actor.organization_id,
        Attachment.issue_id.in_(select(Issue.id).where(
            Issue.organization_id == actor.organization_id,
            or_(Issue.id == issue.id, Issue.parent_id == issue.id)))))).all()
    deleted = await check_delete_issue(session, actor=actor, issue=issue, project=project,
                                       delete_subtasks=delete_subtasks)
    deleted_ids = set(deleted)
    gone = [row for row in held if row.issue_id in deleted_ids]
    await release_storage(session, organization_id=actor.organization_id, size=sum(row.size for row in gone))
    return deleted, [row.storage_key for row in gone]


async def discard_objects(store: ObjectStore, keys: Iterable[str]) -> None:
    """Best effort, after the fact: a key that cannot be removed now is logged (an orphaned object
    costs space, never correctness: no row points at it and no quota counts it)."""
    for key in keys:
        try:
            await store.delete(key)
        except Exception:  # noqa: BLE001 - the change has committed; the response must not fail
            log.warning("could not delete attachment object %s", key, exc_info=True)


async def _emit(session: AsyncSession, event_class: type[AttachmentEvent], *, actor: Actor, issue: Issue,
                attachment: Attachment, at: datetime) -> None:
    await emit(session, event_class(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id,
                                    attachment_id=attachment.id, filename=attachment.filename, size=attachment.size,
                                    content_type=attachment.content_type, user_id=actor.user_id,
                                    timestamp=at.isoformat()),
               organization_id=actor.organization_id, aggregate_id=issue.id, actor_id=actor.user_id)


def attachment_view(attachment: Attachment, authors: Mapping[int, User | UserBrief], *, base_url: str
                    ) -> dict[str, Any]:
    author = authors.get(attachment.author_id) if attachment.author_id else None
    return {
        "id": attachment.id, "issue_id": attachment.issue_id, "filename": attachment.filename,
        "content_type": attachment.content_type, "declared_content_type": attachment.declared_content_type,
        "size": attachment.size, "sha256": attachment.sha256,
        "author": {"id": author.id, "display_name": author.display_name} if author else None,
        "created": iso(attachment.created_at),
        "self": f"{base_url}/v2/attachments/{attachment.id}",
        "content": f"{base_url}/v2/attachments/{attachment.id}/content",
    }
