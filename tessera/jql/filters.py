"""Saved filters: who may see one, and resolving `filter = "name"` / `filter = 10001` in JQL."""

from __future__ import annotations

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.jql.models import FilterShare, SavedFilter
from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import GroupMember, ProjectRoleMember


def visible_filters_condition(actor: Actor):  # type: ignore[no-untyped-def]
    """SQL condition over SavedFilter: the actor owns it, or one of its shares reaches the actor
    (the organization, a project the actor may browse, a project role or group the actor holds,
    or the actor by name). Organization admins get no special sight here, as in Jira."""
    org = actor.organization_id
    browsable = select(Project.id).where(browsable_projects_condition(actor))
    in_group = select(GroupMember.group_id).where(GroupMember.organization_id == org,
                                                  GroupMember.user_id == actor.user_id)
    holds_role = exists().where(ProjectRoleMember.organization_id == org,
                                ProjectRoleMember.user_id == actor.user_id,
                                ProjectRoleMember.project_id == FilterShare.project_id,
                                ProjectRoleMember.role == FilterShare.role)
    reaches = or_(
        FilterShare.share_type == "organization",
        and_(FilterShare.share_type == "user", FilterShare.user_id == actor.user_id),
        and_(FilterShare.share_type == "group", FilterShare.group_id.in_(in_group)),
        and_(FilterShare.share_type == "project", FilterShare.project_id.in_(browsable)),
        and_(FilterShare.share_type == "project_role", holds_role),
    )
    shared = exists().where(FilterShare.organization_id == org, FilterShare.filter_id == SavedFilter.id, reaches)
    return (SavedFilter.organization_id == org) & or_(SavedFilter.owner_id == actor.user_id, shared)


async def get_visible_filter(session: AsyncSession, actor: Actor, ref: object) -> SavedFilter | None:
    """By numeric id, else by name (case-insensitive): the actor's own first, then the oldest."""
    query = select(SavedFilter).where(visible_filters_condition(actor))
    filter_id = parse_id(ref)
    if filter_id is not None:
        found = await session.scalar(query.where(SavedFilter.id == filter_id))
        if found is not None or not isinstance(ref, str):
            return found
    if not isinstance(ref, str) or not ref.strip():
        return None
    mine_first = case((SavedFilter.owner_id == actor.user_id, 0), else_=1)
    return await session.scalar(query.where(func.lower(SavedFilter.name) == ref.strip().lower())
                                .order_by(mine_first, SavedFilter.created_at, SavedFilter.id).limit(1))


async def find_filter_jql(session: AsyncSession, actor: Actor, ref: str) -> str:
    """The JQL of a filter the actor may see; an invisible filter reads exactly like a missing one."""
    found = await get_visible_filter(session, actor, ref)
    if found is None:
        raise InvalidInput(f"The value '{ref}' does not exist for the field 'filter'.", field="jql")
    return found.jql
