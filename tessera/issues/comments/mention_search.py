"""The mention autocomplete: users who may browse an issue (its project and its security level),
matched on the start of their display name (or of any word in it) or of their email, at most 20,
with the text to insert. Like every user picker, it offers no one to a caller without the USER_PICKER global permission."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.audience import users_seeing_issue
from tessera.issues.comments.markup import mention_text
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.permissions import Permission, has_global_permission

MAX_SUGGESTIONS = 20


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def mentionable_users(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                            query: str | None, limit: int = MAX_SUGGESTIONS) -> list[dict]:
    if not await has_global_permission(session, actor, Permission.USER_PICKER):
        return []
    conditions = [users_seeing_issue(issue, project)]
    text = (query or "").strip().lstrip("@").lower()
    if text:
        name = func.lower(User.display_name)
        conditions.append(or_(name.like(_like_prefix(text), escape="\\"),
                              name.like("% " + _like_prefix(text), escape="\\"),
                              User.email.like(_like_prefix(text), escape="\\")))
    rows = (await session.execute(select(User.id, User.display_name, User.email).where(*conditions)
                                  .order_by(func.lower(User.display_name), User.id)
                                  .limit(max(1, min(limit, MAX_SUGGESTIONS))))).all()
    return [{"id": row.id, "display_name": row.display_name, "email": row.email,
             "mention": mention_text(row.id, row.display_name)} for row in rows]
