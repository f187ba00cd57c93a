"""The request's DataLoaders: whatever many issues ask for (users, projects, their last comments,
changelogs, full field views) is read in one batch per kind, so a page of issues costs a fixed
number of statements however many issues it holds. The queries are the small functions below;
every one filters by the caller's organization."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from strawberry.dataloader import DataLoader

from tessera.agile.models import Sprint
from tessera.issues.audience import comments_visible_to
from tessera.issues.comments.models import Comment
from tessera.issues.history import load_changelog
from tessera.issues.models import Issue
from tessera.issues.views import render_issues
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.service import users_by_id

if TYPE_CHECKING:
    from tessera.api.graphql.context import GraphQLContext


class CommentWindow(NamedTuple):
    """The first or last `count` comments of an issue, oldest first either way."""

    issue_id: int
    newest: bool
    count: int
    include_deleted: bool = False


async def projects_by_id(session: AsyncSession, organization_id: int, ids: set[int]) -> dict[int, Project]:
    if not ids:
        return {}
    rows = await session.scalars(select(Project).where(Project.organization_id == organization_id,
                                                       Project.id.in_(sorted(ids))))
    return {project.id: project for project in rows}


async def comment_windows(session: AsyncSession, actor: Actor, issue_ids: Sequence[int], *, newest: bool,
                          count: int, include_deleted: bool) -> dict[int, list[Comment]]:
    """One statement for any number of issues: comments the actor may read, numbered per issue
    (ROW_NUMBER() OVER (PARTITION BY issue_id ...)), keeping the first or last `count`."""
    order = (Comment.created_at.desc(), Comment.id.desc()) if newest else (Comment.created_at, Comment.id)
    position = func.row_number().over(partition_by=Comment.issue_id, order_by=order).label("position")
    conditions = [Comment.organization_id == actor.organization_id, Comment.issue_id.in_(list(issue_ids)),
                  comments_visible_to(user_id=actor.user_id, sees_all=actor.is_org_admin, project_id=Issue.project_id)]
    if not include_deleted:
        conditions.append(Comment.deleted_at.is_(None))
    numbered = (select(Comment, position)
                .join(Issue, and_(Issue.organization_id == Comment.organization_id, Issue.id == Comment.issue_id))
                .where(*conditions).subquery())
    comment = aliased(Comment, numbered)
    rows = await session.scalars(select(comment).where(numbered.c.position <= count)
                                 .order_by(comment.issue_id, comment.created_at, comment.id))
    found: dict[int, list[Comment]] = defaultdict(list)
    for row in rows:
        found[row.issue_id].append(row)
    return found


class Loaders:
    """Created per request (and again after each mutation, whose changes they must not hide)."""

    def __init__(self, context: GraphQLContext) -> None:
        self._context = context
        self.issues: dict[int, Issue] = {}  # every issue row this request returned, for `views`
        self.users = DataLoader(self._users)
        self.projects = DataLoader(self._projects)
        self.comments = DataLoader(self._comments)
        self.changelogs = DataLoader(self._changelogs)
        self.views = DataLoader(self._views)

    def remember(self, issues: Sequence[Issue]) -> None:
        self.issues.update((issue.id, issue) for issue in issues)

    async def _users(self, ids: list[int]) -> list[User | None]:
        async with self._context.reading() as (session, actor):
            found = await users_by_id(session, actor.organization_id, set(ids))
        return [found.get(user_id) for user_id in ids]

    async def _projects(self, ids: list[int]) -> list[Project | None]:
        async with self._context.reading() as (session, actor):
            found = await projects_by_id(session, actor.organization_id, set(ids))
        return [found.get(project_id) for project_id in ids]

    async def _comments(self, windows: list[CommentWindow]) -> list[list[Comment]]:
        groups: dict[tuple[bool, int, bool], set[int]] = defaultdict(set)
        for window in windows:
            groups[(window.newest, window.count, window.include_deleted)].add(window.issue_id)
        found: dict[tuple[bool, int, bool], dict[int, list[Comment]]] = {}
        async with self._context.reading() as (session, actor):
            for (newest, count, include_deleted), issue_ids in groups.items():
                found[(newest, count, include_deleted)] = await comment_windows(
                    session, actor, sorted(issue_ids), newest=newest, count=count, include_deleted=include_deleted)
        return [found[(w.newest, w.count, w.include_deleted)].get(w.issue_id, []) for w in windows]

    async def _changelogs(self, issue_ids: list[int]) -> list[list[dict]]:
        async with self._context.reading() as (session, actor):
            found = await load_changelog(session, organization_id=actor.organization_id, issue_ids=issue_ids)
        return [found.get(issue_id, []) for issue_id in issue_ids]

    async def _views(self, issue_ids: list[int]) -> list[dict]:
        """The /v2 view of each issue (custom fields, labels, components, versions, links)."""
        catalog = await self._context.catalog()
        issues = [self.issues[issue_id] for issue_id in issue_ids]
        async with self._context.reading() as (session, actor):
            views = await render_issues(session, viewer=actor, organization_id=actor.organization_id, issues=issues,
                                        catalog=catalog)
        return views


async def project_sprints(session: AsyncSession, organization_id: int, project_id: int, *, state: str | None,
                          last: int) -> list[Sprint]:
    """The project's last `last` sprints (in `state` if given), oldest first."""
    query = select(Sprint).where(Sprint.organization_id == organization_id, Sprint.project_id == project_id)
    if state is not None:
        query = query.where(Sprint.state == state)
    rows = (await session.scalars(query.order_by(Sprint.id.desc()).limit(last))).all()
    return list(reversed(rows))
