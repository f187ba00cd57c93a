"""The permission engine's rules (tenancy.permissions) as one SQL condition, for questions about
many projects or many users at once (project lists and search, mention and watcher pickers,
notification audiences). Same holders, same rule that organization-wide holders count in open
projects only; issue-level holders (reporter, assignee, user field) are asked only by issue
security (`issue_visible_sql`), the one question here about issues.

Every argument may be a value or a column, so one builder serves "which projects may this actor
browse" (project columns, the actor's values) and "which users may browse this project" (user
columns, the project's values)."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import String, and_, cast, column, exists, false, func, or_, select, table, true
from sqlalchemy.sql.elements import ClauseElement, ColumnElement

from tessera.tenancy.models import (
    CUSTOMER_ROLE,
    GlobalPermissionGrant,
    GroupMember,
    IssueSecurityLevelMember,
    PermissionGrant,
    PermissionScheme,
    ProjectRoleMember,
)
from tessera.tenancy.permissions import (
    ANYONE,
    ASSIGNEE,
    GROUP,
    ORG_ROLE,
    PROJECT_LEAD,
    PROJECT_ROLE,
    REPORTER,
    USER,
    USER_FIELD,
    Permission,
)


class IssueColumns(NamedTuple):
    """An issue's columns (or values) that issue holders and issue security read."""

    id: Any
    project_id: Any
    reporter_id: Any
    assignee_id: Any
    security_level_id: Any


_GRANTS = PermissionGrant.__table__
_MEMBERS = ProjectRoleMember.__table__
_GROUP_MEMBERS = GroupMember.__table__
_GLOBAL_GRANTS = GlobalPermissionGrant.__table__
_LEVEL_MEMBERS = IssueSecurityLevelMember.__table__
# The projects table belongs to tessera.projects, above this layer: named, not imported.
_PROJECTS_BY_NAME = table("projects", column("id"), column("organization_id"), column("access"), column("lead_id"))


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


def holder_sql(holder: Any, *, organization_id: Any, project_id: Any, access: Any, lead_id: Any, user_id: Any,
               org_role: Any, issue: IssueColumns | None = None) -> ColumnElement[bool]:
    """Whether the user is the holder a row describes (`holder`: the columns holder_type,
    parameter, group_id and user_id of a permission grant or an issue security level member).
    Issue holders (reporter, assignee, user field) count only when `issue` is given."""
    member, in_group = _MEMBERS.c, _GROUP_MEMBERS.c
    is_open = _eq(access, "open")
    # Customers (tenancy.models.CUSTOMER_ROLE) are nobody's "anyone".
    not_customer = org_role != CUSTOMER_ROLE if _is_sql(org_role) else (
        true() if org_role != CUSTOMER_ROLE else false())
    holders = [
        and_(holder.holder_type == ANYONE, is_open, not_customer),
        and_(holder.holder_type == ORG_ROLE, is_open, holder.parameter == org_role),
        and_(holder.holder_type == PROJECT_ROLE, exists().where(
            member.organization_id == organization_id, member.project_id == project_id,
            member.user_id == user_id, member.role == holder.parameter).correlate_except(_MEMBERS)),
        and_(holder.holder_type == GROUP, exists().where(
            in_group.organization_id == organization_id, in_group.group_id == holder.group_id,
            in_group.user_id == user_id).correlate_except(_GROUP_MEMBERS)),
        and_(holder.holder_type == USER, holder.user_id == user_id),
        and_(holder.holder_type == PROJECT_LEAD, _eq(lead_id, user_id)),
    ]
    if issue is not None:
        # The values table belongs to tessera.issues, above this layer: named, not imported.
        values = table("custom_field_values", column("organization_id"), column("issue_id"), column("field_id"),
                       column("value_ref"))
        holders += [
            and_(holder.holder_type == REPORTER, _eq(issue.reporter_id, user_id)),
            and_(holder.holder_type == ASSIGNEE, _eq(issue.assignee_id, user_id)),
            and_(holder.holder_type == USER_FIELD, exists().where(
                values.c.organization_id == organization_id, values.c.issue_id == issue.id,
                cast(values.c.field_id, String) == holder.parameter, values.c.value_ref == user_id)),
        ]
    return or_(*holders)


def holds_sql(permission: Permission, *, organization_id: Any, scheme_id: Any, project_id: Any, access: Any,
              lead_id: Any, user_id: Any, org_role: Any) -> ColumnElement[bool]:
    """Whether the user (`user_id`, `org_role`) holds the project permission in the project
    (`project_id`, its `scheme_id` (None: the default), `access`, `lead_id`)."""
    # Plain tables, not ORM aliases (which cost milliseconds to build); the subqueries never
    # correlate to the enclosing query's copies of them (correlate_except below).
    grant = _GRANTS.c
    holder = holder_sql(grant, organization_id=organization_id, project_id=project_id, access=access,
                        lead_id=lead_id, user_id=user_id, org_role=org_role)
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
    return or_(_eq(org_role, "admin"), granted)


def issue_visible_sql(issue: IssueColumns, *, organization_id: Any, user_id: Any,
                      org_role: Any) -> ColumnElement[bool]:
    """Issue security (tenancy.issue_security) as SQL: the issue has no security level, or the
    user is a member of its level, by the same holder rules as the Python guard
    (`_level_guard`). Organization administrators see every level."""
    if not _is_sql(org_role) and org_role == "admin":
        return true()
    level = issue.security_level_id
    if not _is_sql(level):  # one known issue, asked about many users
        if level is None:
            return true()
        no_level = false()
    else:
        no_level = level.is_(None)
    members = _LEVEL_MEMBERS.c
    project = _PROJECTS_BY_NAME.alias("security_project")
    holder = holder_sql(members, organization_id=organization_id, project_id=issue.project_id,
                        access=project.c.access, lead_id=project.c.lead_id, user_id=user_id, org_role=org_role,
                        issue=issue)
    member = exists().where(members.organization_id == organization_id, members.level_id == level,
                            project.c.organization_id == organization_id, project.c.id == issue.project_id, holder)
    if _is_sql(org_role):
        return or_(no_level, org_role == "admin", member)
    return or_(no_level, member)
