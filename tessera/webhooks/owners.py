"""Whose sight a webhook sends with: its owner's. A webhook never carries an issue (or a
comment, a sprint, a project) its owner may not see; a deleted or deactivated owner sees nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.issues.models import Issue
from tessera.issues.security import issue_visibility_filter
from tessera.jql.search import search_issues, searchable_projects_condition
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Organization, User
from tessera.tenancy.permissions import Permission, administers, has_permission

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
    actor = Actor(organization_id=organization_id, user_id=user.id, email=user.email,
                  display_name=user.display_name, org_role=user.role, via="system",
                  organization_key=organization.key, catalog_version=organization.catalog_version)
    await administers(session, actor)  # decided now: payloads ask `is_org_admin`, without a session
    return actor


async def matching_issues(session: AsyncSession, actor: Actor, issue_ids: Iterable[int], jql: str) -> dict[int, Issue]:
    """The webhook's JQL, run as the owner and narrowed to these issues (as they are now): the
    ones that match and that the owner may browse (the search applies the permissions), by id,
    in one search."""
    ids = sorted({int(issue_id) for issue_id in issue_ids})
    if not ids:
        return {}
    if not jql.strip():
        # No filter: the issues the owner may search, by the search's own condition (a JQL
        # `id in (...)` would look each id up on its own to validate it).
        query = select(Issue).where(Issue.organization_id == actor.organization_id, Issue.id.in_(ids))
        searchable = await searchable_projects_condition(session, actor)
        if searchable is not None:
            query = query.where(searchable)
        hidden = await issue_visibility_filter(session, actor)
        if hidden is not None:
            query = query.where(hidden)
        return {issue.id: issue for issue in (await session.scalars(query)).all()}
    narrowed = f"({jql}) AND id in ({', '.join(map(str, ids))})"
    try:
        page = await search_issues(session, actor=actor, jql=narrowed, max_results=len(ids))
    except InvalidInput as error:
        # An issue the owner may not see (or one deleted since) reads as "no such value", which
        # fails the whole list: then each issue is asked alone. JqlSyntaxError is one too; so is
        # a filter whose project or version has since gone: nothing is sent either way.
        if len(ids) > 1:
            return {found: issue for issue_id in ids
                    for found, issue in (await matching_issues(session, actor, [issue_id], jql)).items()}
        log.info("webhook filter did not match issue %s: %s", ids[0], error.message)
        return {}
    return {issue.id: issue for issue in page.issues}


async def may_browse_project(session: AsyncSession, actor: Actor, project_id: int | None) -> Project | None:
    if project_id is None:
        return None
    project = await session.scalar(select(Project).where(Project.organization_id == actor.organization_id,
                                                         Project.id == project_id))
    if project is None or not await has_permission(session, actor, Permission.BROWSE_PROJECTS, project):
        return None
    return project
