"""Automatic watching: the reporter and the assignee of an issue (and whoever comments on it)
watch it, as Jira's default autowatch does. Kept apart from the issue services so that create,
update, transitions and comments each add exactly one statement."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.insert_ignoring import insert_ignoring
from tessera.issues.models import Issue
from tessera.issues.watchers.models import IssueVote, IssueWatcher

# Built once: a statement made per call (multi-row .values()) is compiled again on every call.
_WATCH = {dialect: insert_ignoring(dialect, IssueWatcher.__table__) for dialect in ("postgresql", "sqlite")}


def insert_ignoring_duplicates(session: AsyncSession, model: type[IssueWatcher] | type[IssueVote]):  # type: ignore[no-untyped-def]
    """A watch or vote that exists already is left as it is."""
    return insert_ignoring(session.get_bind().dialect.name, model)


async def auto_watch(session: AsyncSession, issue: Issue, user_ids: Iterable[int | None],
                     at: datetime | None = None) -> None:
    """One multi-row statement; users who already watch are left as they are."""
    wanted = sorted({user_id for user_id in user_ids if user_id})
    if not wanted:
        return
    at = at or utcnow()
    rows = [{"organization_id": issue.organization_id, "issue_id": issue.id, "user_id": user_id, "created_at": at}
            for user_id in wanted]
    # On the Core connection, as the issue's other rows are written: the ORM path costs more than the insert.
    connection = await session.connection()
    # One row as one parameter set: a list takes the driver's executemany path, slower for one row.
    await connection.execute(_WATCH[connection.dialect.name], rows[0] if len(rows) == 1 else rows)
