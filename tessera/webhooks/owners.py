"""Whose sight a webhook sends with: its owner's. A webhook never carries an issue (or a
comment, a sprint, a project) its owner may not see; a deleted or deactivated owner sees nothing."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.jql.search import search_issues
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Organization, User
from tessera.tenancy.permissions import Permission, has_permission

log = logging.getLogger("tessera.webhooks")


async def owner_actor(session: AsyncSession, organization_id: int, owner_id: int | None) -> Actor | None:
    """The owner as an actor of the organization, or None when the owner is gone or inactive."""
    if owner_id is None:
        return None
    row = (await session.execute(
        select(User, Organization).join(Organization, Organization.id == User.organization_id)
        .where(User.organization_id == organization_id, User.id == owner_id))).first()
    if row is None or not row[0].active:
        return None
    user, organization = row
    return Actor(organization_id=organization_id, user_id=user.id, email=user.email,
                 display_name=user.display_name, org_role=user.role, via="system",
                 organization_key=organization.key, catalog_version=organization.catalog_version)


async def issue_matches(session: AsyncSession, actor: Actor, issue_id: int, jql: str) -> bool:
    """The webhook's JQL, run as the owner and narrowed to the one issue: true when the issue
    (as it is now) matches and the owner may browse it. The search applies the permissions."""
    narrowed = f"id = {int(issue_id)}" if not jql.strip() else f"({jql}) AND id = {int(issue_id)}"
    try:
        page = await search_issues(session, actor=actor, jql=narrowed, max_results=1, count_only=True)
    except InvalidInput as error:
        # An issue the owner may not see reads as "no such value" (JqlSyntaxError is one too);
        # so does a filter whose project or version has since gone: nothing is sent either way.
        log.info("webhook filter did not match issue %s: %s", issue_id, error.message)
        return False
    return page.total > 0


async def may_browse_project(session: AsyncSession, actor: Actor, project_id: int | None) -> Project | None:
    if project_id is None:
        return None
    project = await session.scalar(select(Project).where(Project.organization_id == actor.organization_id,
                                                         Project.id == project_id))
    if project is None or not await has_permission(session, actor, Permission.BROWSE_PROJECTS, project):
        return None
    return project
