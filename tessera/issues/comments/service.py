"""Comments on issues: threaded replies, Markdown bodies with @mentions, edits with kept history,
deletion, and visibility restricted to a project role.

Rules, as in Jira where Jira has one:
- A restricted comment ({"type": "role", "value": "developers"}) is readable only by that
  project role's members and organization administrators; to everyone else it does not exist
  (lists, counts, GET, history and JQL text search all leave it out). Its author must hold the
  role. A reply to a restricted comment inherits the restriction unless it names one itself.
- The author edits and deletes their own comments (while they may comment); editing or deleting
  anyone's needs EDIT_ALL_COMMENTS / DELETE_ALL_COMMENTS (organization admins, the project's
  administrators role and its lead).
- Edits are optimistic: a stale `version` is a 409 carrying the current body. Every edit keeps
  the previous text in comment_revisions.
- Deleting a comment that has replies leaves a tombstone (empty body, `deleted_at` set, its
  revisions and mentions purged) so the thread still reads; one without replies is removed, and
  so is any tombstone left with no replies by that.
- Writes emit comment_added / comment_updated / comment_deleted (and user_mentioned) events in
  the same transaction, each with the comment's visibility so live delivery can filter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied, stale_version
from tessera.events.outbox import emit
from tessera.events.types import CommentAdded, CommentDeleted, CommentUpdated
from tessera.issues.audience import comments_in_roles
from tessera.issues.comments.markup import parse_body
from tessera.issues.comments.mentions import do_record_mentions, mentioned_user_ids, visibility_payload
from tessera.issues.comments.models import Comment, CommentMention, CommentRevision
from tessera.issues.models import Issue
from tessera.issues.watchers.autowatch import auto_watch
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import PROJECT_ROLES
from tessera.tenancy.permissions import Permission, authorize, has_permission, load_project_roles

COMMENT_MAX = 32_767 * 4
NOT_FOUND = "Comment does not exist or you do not have permission to see it."


def _now() -> datetime:
    return datetime.now(UTC)


def validate_body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("A comment needs a body.", field="body")
    if len(body) > COMMENT_MAX:
        raise InvalidInput(f"A comment is at most {COMMENT_MAX} characters.", field="body")
    return body


async def validate_visibility(session: AsyncSession, actor: Actor, project: Project, visibility: Any) -> str | None:
    """{"type": "role", "value": <project role>} or None; the actor must hold that role."""
    if visibility is None:
        return None
    if not isinstance(visibility, dict) or str(visibility.get("type", "")).lower() != "role":
        raise InvalidInput('Visibility is {"type": "role", "value": "<project role>"}; only project roles restrict '
                           'comments.', field="visibility")
    role = str(visibility.get("value") or "").strip().lower()
    if role not in PROJECT_ROLES:
        raise InvalidInput(f"Visibility role must be one of {', '.join(PROJECT_ROLES)}.", field="visibility")
    if not actor.is_org_admin and role not in await load_project_roles(session, actor, project.id):
        raise InvalidInput(f"You can only restrict a comment to a role you hold; you are not in '{role}'.",
                           field="visibility")
    return role


async def _visible_condition(session: AsyncSession, actor: Actor, project: Project):  # type: ignore[no-untyped-def]
    roles = frozenset() if actor.is_org_admin else await load_project_roles(session, actor, project.id)
    return comments_in_roles(roles, sees_all=actor.is_org_admin)


async def access_comment(session: AsyncSession, actor: Actor, issue: Issue, project: Project, ref: object,
                         *, field: str | None = None) -> Comment:
    """A comment of this issue that the actor may read; anything else is NotFound (or, with
    `field`, the InvalidInput a body reference gets)."""
    comment_id = parse_id(ref)
    comment = None
    if comment_id is not None:
        comment = (await session.scalars(select(Comment).where(
            Comment.organization_id == actor.organization_id, Comment.issue_id == issue.id, Comment.id == comment_id,
            await _visible_condition(session, actor, project)))).first()
    if comment is None:
        if field:
            raise InvalidInput(f"The comment '{str(ref)[:40]}' does not exist on this issue.", field=field)
        raise NotFound(NOT_FOUND)
    return comment


def _comment_event_fields(issue: Issue, comment: Comment, actor: Actor, at: datetime) -> dict[str, Any]:
    """The fields every comment event carries (tessera.events.types.CommentEvent)."""
    return dict(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id, comment_id=comment.id,
                parent_id=comment.parent_id, user_id=actor.user_id, timestamp=at.isoformat(),
                visibility=visibility_payload(comment.visibility_role), comment_version=comment.version)


async def check_add_comment(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project, body: str,
                            parent_id: object = None, visibility: Any = None, at: datetime | None = None) -> Comment:
    await authorize(session, actor, Permission.ADD_COMMENTS, project, issue)
    body = validate_body(body)
    role = await validate_visibility(session, actor, project, visibility)
    parent = None
    if parent_id is not None:
        parent = await access_comment(session, actor, issue, project, parent_id, field="parent_id")
        if parent.deleted_at is not None:
            raise InvalidInput("You cannot reply to a deleted comment.", field="parent_id")
        if visibility is None:
            role = parent.visibility_role
    at = at or _now()
    comment = Comment(organization_id=actor.organization_id, issue_id=issue.id, author_id=actor.user_id,
                      parent_id=parent.id if parent else None, body=body, visibility_role=role,
                      created_at=at, updated_at=at, version=1)
    session.add(comment)
    await session.flush()
    await do_record_mentions(session, actor=actor, issue=issue, project=project, comment=comment,
                             refs=parse_body(body).mentions, at=at)
    await auto_watch(session, issue, (actor.user_id,), at)
    await emit(session, CommentAdded(**_comment_event_fields(issue, comment, actor, at), body=body),
               organization_id=actor.organization_id, aggregate_id=issue.id, actor_id=actor.user_id)
    return comment


async def _may_change(session: AsyncSession, actor: Actor, issue: Issue, project: Project, comment: Comment,
                      own: Permission, every: Permission, verb: str) -> None:
    if comment.author_id == actor.user_id and await has_permission(session, actor, own, project, issue):
        return
    if not await has_permission(session, actor, every, project, issue):
        raise PermissionDenied(f"You may {verb} only your own comments.")


def _stale(comment: Comment, expected: int, *, via_if_match: bool) -> Conflict:
    return stale_version(
        f"The comment was changed by someone else: you sent version {expected}, the current version is "
        f"{comment.version}. Reload it and apply your change again.", via_if_match=via_if_match,
        data={"current_version": comment.version, "your_version": expected, "conflicting_fields": ["body"],
              "current": {"id": comment.id, "body": comment.body, "version": comment.version,
                          "visibility": visibility_payload(comment.visibility_role),
                          "updated": comment.updated_at.isoformat().replace("+00:00", "Z")}})


_UNSET: Any = object()


async def check_edit_comment(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                             comment: Comment, body: str | None = None, visibility: Any = _UNSET,
                             expected_version: int | None = None, via_if_match: bool = False,
                             at: datetime | None = None) -> Comment:
    """`visibility` left out keeps the current one; None lifts a restriction. A stale version is
    a 409, or a 412 when it came as If-Match."""
    await _may_change(session, actor, issue, project, comment, Permission.EDIT_OWN_COMMENTS,
                      Permission.EDIT_ALL_COMMENTS, "edit")
    if comment.deleted_at is not None:
        raise InvalidInput("A deleted comment cannot be edited.", field="body", code="comment_deleted")
    new_body = comment.body if body is None else validate_body(body)
    role = comment.visibility_role if visibility is _UNSET else await validate_visibility(
        session, actor, project, visibility)
    if expected_version is not None and expected_version != comment.version:
        raise _stale(comment, expected_version, via_if_match=via_if_match)
    if new_body == comment.body and role == comment.visibility_role:
        return comment
    return await do_edit_comment(session, actor=actor, issue=issue, project=project, comment=comment,
                                 body=new_body, role=role, at=at or _now(),
                                 via_if_match=via_if_match and expected_version is not None)


async def do_edit_comment(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project, comment: Comment,
                          body: str, role: str | None, at: datetime, via_if_match: bool = False) -> Comment:
    """UPDATE ... WHERE version = read: of two concurrent editors exactly one wins; the other
    gets a Conflict, a PreconditionFailed when its version came as If-Match."""
    read_version, old_body = comment.version, comment.body
    result = await session.execute(
        update(Comment).where(Comment.organization_id == comment.organization_id, Comment.id == comment.id,
                              Comment.version == read_version)
        .values(body=body, visibility_role=role, updated_at=at, version=read_version + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        await session.refresh(comment)
        raise _stale(comment, read_version, via_if_match=via_if_match)
    if body != old_body:
        last = await session.scalar(select(func.max(CommentRevision.revision)).where(
            CommentRevision.organization_id == comment.organization_id, CommentRevision.comment_id == comment.id))
        revisions = [] if last else [
            {"revision": 1, "body": old_body, "edited_by": comment.author_id, "edited_at": comment.created_at}]
        revisions.append({"revision": (last or 1) + 1, "body": body, "edited_by": actor.user_id, "edited_at": at})
        await session.execute(insert(CommentRevision), [
            {"organization_id": comment.organization_id, "comment_id": comment.id, **row} for row in revisions])
    await session.refresh(comment)
    if body != old_body:
        previous = await mentioned_user_ids(session, comment.organization_id, comment.id)
        await do_record_mentions(session, actor=actor, issue=issue, project=project, comment=comment,
                                 refs=parse_body(body).mentions, at=at, previous=previous)
    await emit(session, CommentUpdated(**_comment_event_fields(issue, comment, actor, at), body=body),
               organization_id=comment.organization_id, aggregate_id=issue.id, actor_id=actor.user_id)
    return comment


async def _has_replies(session: AsyncSession, comment_id: int, organization_id: int, issue_id: int) -> bool:
    return await session.scalar(select(func.count()).select_from(Comment).where(
        Comment.organization_id == organization_id, Comment.issue_id == issue_id,
        Comment.parent_id == comment_id)) != 0


async def check_delete_comment(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                               comment: Comment, at: datetime | None = None) -> None:
    await _may_change(session, actor, issue, project, comment, Permission.DELETE_OWN_COMMENTS,
                      Permission.DELETE_ALL_COMMENTS, "delete")
    if comment.deleted_at is not None:
        return  # already a tombstone
    at = at or _now()
    org = comment.organization_id
    tombstone = await _has_replies(session, comment.id, org, issue.id)
    deleted = CommentDeleted(**_comment_event_fields(issue, comment, actor, at), tombstone=tombstone)
    if tombstone:
        await session.execute(delete(CommentRevision).where(CommentRevision.organization_id == org,
                                                            CommentRevision.comment_id == comment.id))
        await session.execute(delete(CommentMention).where(CommentMention.organization_id == org,
                                                           CommentMention.comment_id == comment.id))
        await session.execute(update(Comment).where(Comment.organization_id == org, Comment.id == comment.id)
                              .values(body="", deleted_at=at, updated_at=at, version=Comment.version + 1)
                              .execution_options(synchronize_session=False))
    else:
        await session.execute(delete(Comment).where(Comment.organization_id == org, Comment.id == comment.id))
        await _remove_bare_tombstones(session, org, issue.id, comment.parent_id)
    await emit(session, deleted, organization_id=org, aggregate_id=issue.id, actor_id=actor.user_id)


async def _remove_bare_tombstones(session: AsyncSession, organization_id: int, issue_id: int,
                                  parent_id: int | None) -> None:
    """Walk up from a removed reply: a tombstone that has no replies left goes too."""
    while parent_id is not None:
        parent = (await session.execute(select(Comment.id, Comment.parent_id, Comment.deleted_at).where(
            Comment.organization_id == organization_id, Comment.id == parent_id))).first()
        if parent is None or parent.deleted_at is None or await _has_replies(session, parent.id, organization_id,
                                                                             issue_id):
            return
        await session.execute(delete(Comment).where(Comment.organization_id == organization_id,
                                                    Comment.id == parent.id))
        parent_id = parent.parent_id


async def list_comments(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project, start_at: int = 0,
                        max_results: int = 50, newest_first: bool = False) -> tuple[Sequence[Comment], int]:
    """The comments the actor may read (tombstones included, so threads hold together), in
    creation order, and their total."""
    conditions = (Comment.organization_id == issue.organization_id, Comment.issue_id == issue.id,
                  await _visible_condition(session, actor, project))
    total = await session.scalar(select(func.count()).select_from(Comment).where(*conditions)) or 0
    order = (Comment.created_at.desc(), Comment.id.desc()) if newest_first else (Comment.created_at, Comment.id)
    comments = (await session.scalars(select(Comment).where(*conditions).order_by(*order)
                                      .offset(start_at).limit(max_results))).all()
    return comments, total


async def comment_history(session: AsyncSession, *, comment: Comment) -> list[dict]:
    """Every version of the body, oldest first: {revision, body, edited_by, edited_at}. A comment
    never edited has one, its original; a tombstone has none."""
    if comment.deleted_at is not None:
        return []
    rows = (await session.scalars(select(CommentRevision).where(
        CommentRevision.organization_id == comment.organization_id, CommentRevision.comment_id == comment.id)
        .order_by(CommentRevision.revision))).all()
    if not rows:
        return [{"revision": 1, "body": comment.body, "edited_by": comment.author_id, "edited_at": comment.created_at}]
    return [{"revision": r.revision, "body": r.body, "edited_by": r.edited_by, "edited_at": r.edited_at}
            for r in rows]
