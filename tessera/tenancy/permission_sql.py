"""The permission engine's rules (tenancy.permissions) as one SQL condition, for questions about
many projects or many users at once (project lists and search, mention and watcher pickers,
notification audiences). Same holders, same rule that organization-wide holders count in open
projects only; issue-level holders (reporter, assignee, user field) are not asked here: these
questions are about projects.

Every argument may be a value or a column, so one builder serves "which projects may this actor
browse" (project columns, the actor's values) and "which users may browse this project" (user
columns, the project's values)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.sql.elements import ClauseElement, ColumnElement

from tessera.tenancy.models import (
    CUSTOMER_ROLE,
    GlobalPermissionGrant,
    GroupMember,
    PermissionGrant,
    PermissionScheme,
    ProjectRoleMember,
)
from tessera.tenancy.permissions import (
    ANYONE,
    GROUP,
    ORG_ROLE,
    PROJECT_LEAD,
    PROJECT_ROLE,
    USER,
    Permission,
)

_GRANTS = PermissionGrant.__table__
_MEMBERS = ProjectRoleMember.__table__
_GROUP_MEMBERS = GroupMember.__table__
_GLOBAL_GRANTS = GlobalPermissionGrant.__table__


def default_scheme_id(organization_id: Any) -> Any:
    return (select(PermissionScheme.id).where(PermissionScheme.organization_id == organization_id,
                                              PermissionScheme.is_default.is_(True))
            .limit(1).scalar_subquery())


def _is_sql(value: Any) -> bool:
    """A column, mapped attribute or expression (rather than a plain value)."""
    return isinstance(value, ClauseElement) or hasattr(value, "__clause_element__")


def _eq(left: Any, right: Any) -> Any:
    """`left == right` in SQL, or decided here when both are values (None equals nothing)."""
    if _is_sql(left) or _is_sql(right):
        return left == right
    return true() if left is not None and left == right else false()


def holds_sql(permission: Permission, *, organization_id: Any, scheme_id: Any, project_id: Any, access: Any,
              lead_id: Any, user_id: Any, org_role: Any) -> ColumnElement[bool]:
    """Whether the user (`user_id`, `org_role`) holds the project permission in the project
    (`project_id`, its `scheme_id` (None: the default), `access`, `lead_id`)."""
    # Plain tables, not ORM aliases (which cost milliseconds to build); the subqueries never
    # correlate to the enclosing query's copies of them (correlate_except below).
    grant, member, in_group = _GRANTS.c, _MEMBERS.c, _GROUP_MEMBERS.c
    is_open = _eq(access, "open")
    # Customers (tenancy.models.CUSTOMER_ROLE) are nobody's "anyone".
    not_customer = org_role != CUSTOMER_ROLE if _is_sql(org_role) else (
        true() if org_role != CUSTOMER_ROLE else false())
    holder = or_(
        and_(grant.holder_type == ANYONE, is_open, not_customer),
        and_(grant.holder_type == ORG_ROLE, is_open, grant.parameter == org_role),
        and_(grant.holder_type == PROJECT_ROLE, exists().where(
            member.organization_id == organization_id, member.project_id == project_id,
            member.user_id == user_id, member.role == grant.parameter).correlate_except(_MEMBERS)),
        and_(grant.holder_type == GROUP, exists().where(
            in_group.organization_id == organization_id, in_group.group_id == grant.group_id,
            in_group.user_id == user_id).correlate_except(_GROUP_MEMBERS)),
        and_(grant.holder_type == USER, grant.user_id == user_id),
        and_(grant.holder_type == PROJECT_LEAD, _eq(lead_id, user_id)),
    )
    scheme = func.coalesce(scheme_id, default_scheme_id(organization_id))
    granted = exists().where(grant.organization_id == organization_id, grant.scheme_id == scheme,
                             grant.permission == permission.value, holder).correlate_except(
        _GRANTS, _MEMBERS, _GROUP_MEMBERS)
    return or_(administers_sql(organization_id=organization_id, user_id=user_id, org_role=org_role), granted)


def administers_sql(*, organization_id: Any, user_id: Any, org_role: Any) -> ColumnElement[bool]:
    """tenancy.permissions.administers as SQL: the admin role, or ADMINISTER granted globally to
    the user's organization role or one of their groups. For one actor (plain values) only the
    role is asked here: callers decided the rest already (`Actor.is_org_admin`)."""
    if not _is_sql(org_role):
        return _eq(org_role, "admin")
    granted, in_group = _GLOBAL_GRANTS.c, _GROUP_MEMBERS.c
    by_grant = exists().where(
        granted.organization_id == organization_id, granted.permission == Permission.ADMINISTER_ORGANIZATION.value,
        or_(and_(granted.holder_type == ORG_ROLE, granted.parameter == org_role),
            and_(granted.holder_type == GROUP, exists().where(
                in_group.organization_id == organization_id, in_group.group_id == granted.group_id,
                in_group.user_id == user_id).correlate_except(_GROUP_MEMBERS)))).correlate_except(
        _GLOBAL_GRANTS, _GROUP_MEMBERS)
    return or_(org_role == "admin", and_(org_role != CUSTOMER_ROLE, by_grant))
