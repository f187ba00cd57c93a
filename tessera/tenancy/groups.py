"""Groups of an organization's users, managed by its administrators. Groups are named in JQL
(`membersOf()`), permission schemes and notification schemes; members are users, never customers."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.scoped import load_scoped
from tessera.errors import Conflict, InvalidInput
from tessera.tenancy.actor import Actor
from tessera.tenancy.directory import get_user_by_login
from tessera.tenancy.models import CUSTOMER_ROLE, Group, GroupMember, User
from tessera.tenancy.permissions import Permission, authorize


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


async def access_group(session: AsyncSession, actor: Actor, group_id: int) -> Group:
    return await load_scoped(session, Group, organization_id=actor.organization_id, row_id=group_id,
                             missing="Group not found.")


async def check_create_group(session: AsyncSession, *, actor: Actor, name: str) -> Group:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("A group needs a name of at most 255 characters.", field="name")
    taken = await session.scalar(select(Group.id).where(Group.organization_id == actor.organization_id,
                                                        func.lower(Group.name) == name.lower()))
    if taken is not None:
        raise Conflict(f"A group named '{name}' already exists.", field="name", code="duplicate_name")
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


async def list_group_members(session: AsyncSession, *, group: Group, start_at: int = 0,
                             max_results: int = 50) -> tuple[list[User], int]:
    where = (GroupMember.organization_id == group.organization_id, GroupMember.group_id == group.id)
    total = await session.scalar(select(func.count()).select_from(GroupMember).where(*where)) or 0
    users = await session.scalars(select(User).join(GroupMember, GroupMember.user_id == User.id).where(*where)
                                  .order_by(func.lower(User.display_name), User.id)
                                  .offset(start_at).limit(max_results))
    return list(users.all()), total


async def check_add_group_member(session: AsyncSession, *, actor: Actor, group: Group, user_ref: str) -> User:
    """`user_ref`: an email or a user id, as the pickers send."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    user = await get_user_by_login(session, actor.organization_id, user_ref)
    if user is None or user.role == CUSTOMER_ROLE:
        raise InvalidInput(f"No user '{str(user_ref)[:100]}' in this organization.", field="user")
    present = await session.scalar(select(GroupMember.user_id).where(
        GroupMember.organization_id == actor.organization_id, GroupMember.group_id == group.id,
        GroupMember.user_id == user.id))
    if present is not None:
        raise Conflict(f"{user.display_name} is already in {group.name}.", field="user", code="duplicate_member")
    session.add(GroupMember(organization_id=actor.organization_id, group_id=group.id, user_id=user.id))
    await session.flush()
    record(session, organization_id=actor.organization_id, action="group.member_added", object_type="group",
           object_id=group.id, object_key=group.name, changes={"user_id": user.id})
    return user


async def check_remove_group_member(session: AsyncSession, *, actor: Actor, group: Group, user_id: int) -> None:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    await session.execute(delete(GroupMember).where(GroupMember.organization_id == actor.organization_id,
                                                    GroupMember.group_id == group.id, GroupMember.user_id == user_id))
    record(session, organization_id=actor.organization_id, action="group.member_removed", object_type="group",
           object_id=group.id, object_key=group.name, changes={"user_id": user_id})
