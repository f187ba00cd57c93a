"""Who may see what, as SQL over users and comments: the same answers as tenancy.permissions
(which decides for one actor at a time), for many users or many comments in one query.

Used for the mention autocomplete and mention notifications (users who may browse an issue and
see a comment), for adding watchers, and for filtering restricted comments out of lists and text
search."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tessera.errors import InvalidInput
from tessera.issues.comments.models import Comment
from tessera.tenancy.directory import search_users
from tessera.tenancy.models import CUSTOMER_ROLE, ProjectRoleMember, User
from tessera.tenancy.permission_sql import IssueColumns, administers_sql, holds_sql, issue_visible_sql
from tessera.tenancy.permissions import Permission, ProjectLike


def users_holding(permission: Permission, project: ProjectLike) -> ColumnElement[bool]:
    """Active users of the project's organization who hold `permission` there (browsing included):
    the permission engine's rules for the project's scheme (tenancy.permission_sql)."""
    return _users_holding(permission, project.organization_id, project.id,
                          getattr(project, "permission_scheme_id", None), project.access, project.lead_id)


@lru_cache(maxsize=4096)
def _users_holding(permission: Permission, organization_id: int, project_id: int, scheme_id: int | None,
                   access: str, lead_id: int | None) -> ColumnElement[bool]:
    """Built once per project state (the expression is immutable and slow to build)."""
    def holds(wanted: Permission) -> ColumnElement[bool]:
        return holds_sql(wanted, organization_id=organization_id, scheme_id=scheme_id, project_id=project_id,
                         access=access, lead_id=lead_id, user_id=User.id, org_role=User.role)
    conditions = [User.organization_id == organization_id, User.active.is_(True), holds(Permission.BROWSE_PROJECTS)]
    if permission is not Permission.BROWSE_PROJECTS:
        conditions.append(holds(permission))
    return and_(*conditions)


async def check_assignable(session: AsyncSession, project: ProjectLike, user_id: int, *,
                           field: str = "assignee_id") -> None:
    """Only holders of ASSIGNABLE_USER in the project may be made its issues' assignee: the users
    Jira's `user/assignable/search` and the pages' assignee pickers list (`assignable_users`).
    Refused as Jira refuses it, a 400 naming the assignee field."""
    found = await session.scalar(select(User.email).where(User.id == user_id,
                                                          users_holding(Permission.ASSIGNABLE_USER, project)))
    if found is None:
        email = await session.scalar(select(User.email).where(User.organization_id == project.organization_id,
                                                              User.id == user_id))
        raise InvalidInput(f"User '{email or user_id}' cannot be assigned issues.", field=field,
                           code="not_assignable")


async def assignable_users(session: AsyncSession, project: ProjectLike, *, max_results: int) -> Sequence[User]:
    """Who an assignee picker offers in the project (check_assignable accepts each of them)."""
    return await search_users(session, project.organization_id, text="", max_results=max_results,
                              only=[users_holding(Permission.ASSIGNABLE_USER, project)])


def users_in_issue_level(issue: object) -> ColumnElement[bool]:
    """Users who may see `issue` by issue security (tessera.tenancy.issue_security): everyone
    when it has no level. With users_holding(BROWSE_PROJECTS) it is who may read the issue."""
    level = getattr(issue, "security_level_id", None)
    if level is None:
        return true()
    return issue_visible_sql(
        IssueColumns(issue.id, issue.project_id, issue.reporter_id, issue.assignee_id, level),  # type: ignore[attr-defined]
        organization_id=issue.organization_id, user_id=User.id, org_role=User.role)  # type: ignore[attr-defined]


def users_seeing_issue(issue: object, project: ProjectLike) -> ColumnElement[bool]:
    """Active users who may browse the project and see the issue."""
    return and_(users_holding(Permission.BROWSE_PROJECTS, project), users_in_issue_level(issue))


def customer_reporting(organization_id: int, reporter_id: int | None) -> ColumnElement[bool]:
    """The issue's reporter when they are an active customer: customers hold no permission
    (tenancy.models.CUSTOMER_ROLE), yet hear by mail of the issue their mail filed."""
    if reporter_id is None:
        return false()
    return and_(User.organization_id == organization_id, User.id == reporter_id, User.role == CUSTOMER_ROLE,
                User.active.is_(True))


def users_seeing_role(role: str | None, project: ProjectLike) -> ColumnElement[bool]:
    """Users who may read a comment restricted to project role `role` (None: everyone)."""
    if role is None:
        return true()
    in_role = exists().where(
        ProjectRoleMember.organization_id == project.organization_id, ProjectRoleMember.project_id == project.id,
        ProjectRoleMember.user_id == User.id, ProjectRoleMember.role == role).correlate_except(ProjectRoleMember)
    return or_(administers_sql(organization_id=project.organization_id, user_id=User.id, org_role=User.role), in_role)


def comments_visible_to(*, user_id: int | None, sees_all: bool, project_id) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """Comments the user may read: unrestricted ones, and those restricted to a role the user holds
    in `project_id` (a value or a column, e.g. issues.project_id in a correlated search).
    `sees_all` is for organization administrators; no user sees only unrestricted comments."""
    if sees_all:
        return true()
    if user_id is None:
        return Comment.visibility_role.is_(None)
    # Correlated to the enclosing comments (and issues) rows however deeply it is nested.
    return or_(Comment.visibility_role.is_(None), exists().where(
        ProjectRoleMember.organization_id == Comment.organization_id, ProjectRoleMember.project_id == project_id,
        ProjectRoleMember.user_id == user_id, ProjectRoleMember.role == Comment.visibility_role)
        .correlate_except(ProjectRoleMember))


def comments_in_roles(roles: frozenset[str], *, sees_all: bool) -> ColumnElement[bool]:
    """The same for one project whose roles for the user are already known (no subquery)."""
    if sees_all:
        return true()
    if not roles:
        return Comment.visibility_role.is_(None)
    return or_(Comment.visibility_role.is_(None), Comment.visibility_role.in_(sorted(roles)))

