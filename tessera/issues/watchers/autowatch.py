"""Automatic watching: the reporter and the assignee of an issue (and whoever comments on it)
watch it, as Jira's default autowatch does. Kept apart from the issue services so that create,
update, transitions and comments each add exactly one statement."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.issues.models import Issue
from tessera.issues.watchers.models import IssueVote, IssueWatcher

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
# Built once: a statement made per call (multi-row .values()) is compiled again on every call.
_WATCH = {dialect: insert(IssueWatcher.__table__).on_conflict_do_nothing() for dialect, insert in _INSERTS.items()}


def insert_ignoring_duplicates(session: AsyncSession, model: type[IssueWatcher] | type[IssueVote]):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect (both spell it the same way)."""
    dialect = session.get_bind().dialect.name
    return _INSERTS[dialect](model).on_conflict_do_nothing()


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
