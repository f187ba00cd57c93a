"""Issue links (blocks, relates, duplicates, clones). Parent/sub-task and epic relations are the
`parent` field of an issue, as in Jira; these are the lateral ones."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.events.outbox import emit
from tessera.events.types import IssueLinkCreated, IssueLinkDeleted
from tessera.issues.history import FieldChange, record_changes
from tessera.issues.models import Issue, IssueLink
from tessera.issues.service import access_issue
from tessera.projects.catalog import list_link_types, resolve_link_type
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission


async def check_create_link(session: AsyncSession, *, actor: Actor, link_type_ref: object, outward_issue_ref: object,
                            inward_issue_ref: object) -> IssueLink:
    """`outward` <relation> `inward`: for Blocks, the outward issue blocks the inward one."""
    link_type = resolve_link_type(await list_link_types(session, actor.organization_id), link_type_ref)
    try:
        source, _ = await access_issue(session, actor, outward_issue_ref, Permission.LINK_ISSUES)
    except NotFound:
        raise InvalidInput(f"The issue '{str(outward_issue_ref)[:100]}' does not exist.",
                           field="outward_issue") from None
    try:
        target, _ = await access_issue(session, actor, inward_issue_ref)
    except NotFound:
        raise InvalidInput(f"The issue '{str(inward_issue_ref)[:100]}' does not exist.",
                           field="inward_issue") from None
    if source.id == target.id:
        raise InvalidInput("An issue cannot be linked to itself.", field="inward_issue")
    exists = await session.scalar(select(IssueLink.id).where(
        IssueLink.organization_id == actor.organization_id, IssueLink.link_type_id == link_type.id,
        IssueLink.source_issue_id == source.id, IssueLink.target_issue_id == target.id))
    if exists is not None:
        raise Conflict(f"{source.key} already {link_type.outward} {target.key}.", code="duplicate_link")
    at = datetime.now(UTC)
    link = IssueLink(organization_id=actor.organization_id, link_type_id=link_type.id, source_issue_id=source.id,
                     target_issue_id=target.id, created_at=at, creator_id=actor.user_id)
    session.add(link)
    await session.flush()
    await _record_link(session, actor, source, target, link_type.outward, link_type.inward, at, added=True)
    return link


async def _record_link(session: AsyncSession, actor: Actor, source: Issue, target: Issue, outward: str,
                       inward: str, at: datetime, *, added: bool) -> None:
    for issue, other, verb in ((source, target, outward), (target, source, inward)):
        text = f"This issue {verb} {other.key}"
        change = FieldChange("Link", "issuelinks", None if added else other.key, None if added else text,
                             other.key if added else None, text if added else None)
        await record_changes(session, issue=issue, author_id=actor.user_id, changes=[change], at=at)
        linked = IssueLinkCreated if added else IssueLinkDeleted
        await emit(session, linked(
            issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id,
            field_changes={"issuelinks": {"from": change.from_string, "to": change.to_string}},
            user_id=actor.user_id, timestamp=at.isoformat()),
            organization_id=actor.organization_id, aggregate_id=issue.id, actor_id=actor.user_id)


async def access_link(session: AsyncSession, actor: Actor, link_id: int) -> IssueLink:
    link = await session.scalar(select(IssueLink).where(IssueLink.organization_id == actor.organization_id,
                                                        IssueLink.id == link_id))
    if link is None:
        raise NotFound("Issue link not found.")
    await access_issue(session, actor, link.source_issue_id)
    await access_issue(session, actor, link.target_issue_id)
    return link


async def check_delete_link(session: AsyncSession, *, actor: Actor, link: IssueLink) -> None:
    source, _ = await access_issue(session, actor, link.source_issue_id, Permission.LINK_ISSUES)
    target, _ = await access_issue(session, actor, link.target_issue_id)
    link_type = next(lt for lt in await list_link_types(session, actor.organization_id) if lt.id == link.link_type_id)
    await session.delete(link)
    await session.flush()
    await _record_link(session, actor, source, target, link_type.outward, link_type.inward, datetime.now(UTC),
                       added=False)
