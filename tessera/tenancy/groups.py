"""Groups of an organization's users, named in JQL (`membersOf()`), permission and notification
schemes and Jira's group API. Anyone of the organization may look groups up, as in Jira; only its
administrators change them, and every change is audited. Members are users, never customers.

Membership decides permissions (group holders of schemes and global grants), so every change of
it bumps the organization's catalog version: each process drops its cached principals (whose
`administers` may come from a group) and live permission checks (tenancy.permissions)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.listing import name_contains
from tessera.db.scoped import load_scoped
from tessera.errors import InvalidInput, NotFound
from tessera.tenancy.actor import Actor
from tessera.tenancy.directory import get_user_by_login
from tessera.tenancy.models import CUSTOMER_ROLE, Group, GroupMember, User
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.service import do_bump_catalog_version

MAX_NAME = 255


async def find_group(session: AsyncSession, actor: Actor, name: str) -> Group:
    """By name, in any case (Jira's group names are case-insensitive)."""
    group = await session.scalar(select(Group).where(Group.organization_id == actor.organization_id,
                                                     func.lower(Group.name) == name.strip().lower()))
    if group is None:
        raise NotFound(f"The group '{name[:100]}' does not exist.")
    return group


async def access_group(session: AsyncSession, actor: Actor, group_id: int) -> Group:
    return await load_scoped(session, Group, organization_id=actor.organization_id, row_id=group_id,
                             missing="Group not found.")


async def pick_groups(session: AsyncSession, actor: Actor, *, query: str = "", exclude: Sequence[str] = (),
                      max_results: int = 20) -> tuple[list[Group], int]:
    """Groups whose name contains `query` (any case), by name, without the `exclude`d; and how many matched."""
    conditions = [Group.organization_id == actor.organization_id]
    if query.strip():
        conditions.append(name_contains(Group.name, query))
    if exclude:
        conditions.append(func.lower(Group.name).not_in([name.strip().lower() for name in exclude]))
    total = await session.scalar(select(func.count()).select_from(Group).where(*conditions)) or 0
    groups = (await session.scalars(select(Group).where(*conditions).order_by(func.lower(Group.name), Group.id)
                                    .limit(max_results))).all()
    return list(groups), int(total)


async def list_groups(session: AsyncSession, actor: Actor, *, start_at: int = 0,
                      max_results: int = 50) -> tuple[list[tuple[Group, int]], int]:
    """A page of groups by name, each with its member count, and the total."""
    where = Group.organization_id == actor.organization_id
    total = await session.scalar(select(func.count()).select_from(Group).where(where)) or 0
    counts = (select(GroupMember.group_id, func.count().label("members"))
              .where(GroupMember.organization_id == actor.organization_id)
              .group_by(GroupMember.group_id).subquery())
    rows = await session.execute(select(Group, func.coalesce(counts.c.members, 0))
                                 .outerjoin(counts, counts.c.group_id == Group.id).where(where)
                                 .order_by(func.lower(Group.name), Group.id).offset(start_at).limit(max_results))
    return [(group, members) for group, members in rows.all()], total


async def group_members(session: AsyncSession, group: Group, *, include_inactive: bool = False, start_at: int = 0,
                        max_results: int = 50) -> tuple[list[User], int]:
    """A page of the group's members by email, and how many there are."""
    conditions = [GroupMember.organization_id == group.organization_id, GroupMember.group_id == group.id]
    if not include_inactive:
        conditions.append(User.active.is_(True))
    joined = select(User).join(GroupMember, (GroupMember.user_id == User.id)
                               & (GroupMember.organization_id == User.organization_id)).where(*conditions)
    total = await session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    users = (await session.scalars(joined.order_by(func.lower(User.email), User.id).offset(start_at)
                                   .limit(max_results))).all()
    return list(users), int(total)


async def check_create_group(session: AsyncSession, *, actor: Actor, name: str) -> Group:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"A group name of 1 to {MAX_NAME} characters is required.", field="name")
    existing = await session.scalar(select(Group.id).where(Group.organization_id == actor.organization_id,
                                                           func.lower(Group.name) == name.lower()))
    if existing is not None:  # Jira's 400, in its words
        raise InvalidInput("A group or user with this name already exists.", field="name")
    group = Group(organization_id=actor.organization_id, name=name)
    session.add(group)
    await session.flush()
    record(session, organization_id=actor.organization_id, action="group.created", object_type="group",
           object_id=group.id, object_key=name)
    return group


async def check_delete_group(session: AsyncSession, *, actor: Actor, group: Group) -> None:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    await session.execute(delete(GroupMember).where(GroupMember.organization_id == actor.organization_id,
                                                    GroupMember.group_id == group.id))
    await session.delete(group)
    await session.flush()
    record(session, organization_id=actor.organization_id, action="group.deleted", object_type="group",
           object_id=group.id, object_key=group.name)
    await do_bump_catalog_version(session, actor.organization_id)


async def check_add_member(session: AsyncSession, *, actor: Actor, group: Group, user: User) -> None:
    """Adding someone already in the group is refused (a 400), as Jira refuses it."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    if user.organization_id != actor.organization_id or user.role == CUSTOMER_ROLE:
        raise InvalidInput(f"No user '{user.email[:100]}' in this organization.", field="user")
    present = await session.scalar(select(GroupMember.user_id).where(
        GroupMember.organization_id == group.organization_id, GroupMember.group_id == group.id,
        GroupMember.user_id == user.id))
    if present is not None:
        raise InvalidInput(f"Cannot add user. '{user.email}' is already a member of '{group.name}'")
    session.add(GroupMember(organization_id=group.organization_id, group_id=group.id, user_id=user.id))
    await session.flush()
    record(session, organization_id=actor.organization_id, action="group.member_added", object_type="group",
           object_id=group.id, object_key=group.name, changes={"user_id": user.id})
    await do_bump_catalog_version(session, actor.organization_id)


async def check_add_member_by_login(session: AsyncSession, *, actor: Actor, group: Group, user_ref: str) -> User:
    """`user_ref`: an email or a user id, as the pickers send."""
    user = await get_user_by_login(session, actor.organization_id, user_ref)
    if user is None:
        raise InvalidInput(f"No user '{str(user_ref)[:100]}' in this organization.", field="user")
    await check_add_member(session, actor=actor, group=group, user=user)
    return user


async def check_remove_member(session: AsyncSession, *, actor: Actor, group: Group, user_id: int) -> None:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    removed = await session.execute(delete(GroupMember).where(
        GroupMember.organization_id == group.organization_id, GroupMember.group_id == group.id,
        GroupMember.user_id == user_id))
    if removed.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"That user is not a member of '{group.name}'.")
    record(session, organization_id=actor.organization_id, action="group.member_removed", object_type="group",
           object_id=group.id, object_key=group.name, changes={"user_id": user_id})
    await do_bump_catalog_version(session, actor.organization_id)
