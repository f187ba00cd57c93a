"""The activity stream gadget: the latest changes and comments on the issues a gadget selects.

Only what the viewer may read: issues in projects they may browse (the selection), and
comments restricted to a project role only when they hold it (or administer the organization).
Two bounded queries (change groups, comments), newest first, then the items, issues and
people they name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.audience import comments_visible_to
from tessera.issues.comments.models import Comment
from tessera.issues.models import ChangeGroup, ChangeItem, Issue
from tessera.reports.periods import iso
from tessera.reports.selection import Selection
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User

EXCERPT = 300
VALUE_EXCERPT = 200


def _short(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[:limit - 1] + "…"


async def recent_activity(session: AsyncSession, *, actor: Actor, selection: Selection, limit: int) -> list[dict]:
    org = actor.organization_id
    groups = (await session.execute(
        select(ChangeGroup.id, ChangeGroup.issue_id, ChangeGroup.author_id, ChangeGroup.created_at)
        .where(ChangeGroup.organization_id == org, ChangeGroup.issue_id.in_(selection.ids()))
        .order_by(ChangeGroup.created_at.desc(), ChangeGroup.id.desc()).limit(limit))).all()
    comments = (await session.execute(
        select(Comment.id, Comment.issue_id, Comment.author_id, Comment.created_at, Comment.body)
        .join(Issue, Issue.id == Comment.issue_id)
        .where(Comment.organization_id == org, Comment.issue_id.in_(selection.ids()), Comment.deleted_at.is_(None),
               comments_visible_to(user_id=actor.user_id, sees_all=actor.is_org_admin, project_id=Issue.project_id))
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit))).all()
    entries: list[tuple[Any, int, str, Any]] = [(g.created_at, g.id, "change", g) for g in groups] + \
        [(c.created_at, c.id, "comment", c) for c in comments]
    entries.sort(key=lambda entry: (entry[0], entry[2] == "comment", entry[1]), reverse=True)
    entries = entries[:limit]
    group_ids = [row.id for _, _, kind, row in entries if kind == "change"]
    items: dict[int, list[dict]] = {}
    if group_ids:
        for group_id, name, before, after in (await session.execute(
                select(ChangeItem.group_id, ChangeItem.field, ChangeItem.from_string, ChangeItem.to_string)
                .where(ChangeItem.organization_id == org, ChangeItem.group_id.in_(group_ids))
                .order_by(ChangeItem.id))).all():
            items.setdefault(group_id, []).append({"field": name, "from": _short(before, VALUE_EXCERPT),
                                                   "to": _short(after, VALUE_EXCERPT)})
    issue_ids = {row.issue_id for _, _, _, row in entries}
    issues = {row.id: row for row in (await session.execute(select(Issue.id, Issue.key, Issue.summary).where(
        Issue.organization_id == org, Issue.id.in_(issue_ids)))).all()} if issue_ids else {}
    author_ids = {row.author_id for _, _, _, row in entries if row.author_id}
    people = dict((await session.execute(select(User.id, User.display_name).where(
        User.organization_id == org, User.id.in_(author_ids)))).all()) if author_ids else {}
    stream = []
    for at, _, kind, row in entries:
        issue = issues.get(row.issue_id)
        entry: dict[str, Any] = {
            "type": kind, "at": iso(at),
            "issue": {"id": issue.id, "key": issue.key, "summary": issue.summary} if issue else None,
            "author": {"id": row.author_id, "display_name": people.get(row.author_id)} if row.author_id else None}
        if kind == "change":
            entry["items"] = items.get(row.id, [])
        else:
            entry["comment"] = {"id": row.id, "excerpt": _short(row.body, EXCERPT)}
        stream.append(entry)
    return stream
