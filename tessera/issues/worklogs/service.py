"""Work logged on issues, as Jira's time tracking records it.

- Durations are Jira's: "3h 30m", "1d" (a day is 8 hours), "1w" (a week is 5 days), or seconds.
- Logging work needs EDIT_ISSUES on the issue's project (Jira's "Work On Issues"); the author
  edits and deletes their own entries, EDIT_ALL_COMMENTS / DELETE_ALL_COMMENTS holders
  (organization and project administrators, the lead) anyone's, as for comments.
- Each change adds its difference to the issue's time spent and adjusts its remaining estimate
  (tessera.issues.time_tracking; Jira's adjustEstimate, `auto` by default), with history.
- Each change emits worklog_added / worklog_updated / worklog_deleted in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput, NotFound, PermissionDenied
from tessera.events.outbox import emit
from tessera.events.types import WorklogAdded, WorklogDeleted, WorklogEvent, WorklogUpdated
from tessera.issues.durations import validate_seconds
from tessera.issues.models import Issue
from tessera.issues.time_tracking import RemainingAdjustment, do_log_time
from tessera.issues.worklogs.models import Worklog
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize, has_permission

NOT_FOUND = "Worklog does not exist or you do not have permission to see it."
COMMENT_MAX = 32_767


def _comment(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > COMMENT_MAX:
        raise InvalidInput(f"A worklog comment is text of at most {COMMENT_MAX} characters.", field="comment")
    return value


async def list_worklogs(session: AsyncSession, *, issue: Issue, start_at: int = 0, max_results: int = 1000
                        ) -> tuple[Sequence[Worklog], int]:
    where = (Worklog.organization_id == issue.organization_id, Worklog.issue_id == issue.id)
    total = await session.scalar(select(func.count()).select_from(Worklog).where(*where)) or 0
    rows = (await session.scalars(select(Worklog).where(*where).order_by(Worklog.started_at, Worklog.id)
                                  .offset(start_at).limit(max_results))).all()
    return rows, total


async def access_worklog(session: AsyncSession, *, issue: Issue, ref: object) -> Worklog:
    """A worklog of this (already accessed) issue; anything else is NotFound."""
    worklog_id = parse_id(ref)
    found = None if worklog_id is None else await session.scalar(select(Worklog).where(
        Worklog.organization_id == issue.organization_id, Worklog.issue_id == issue.id, Worklog.id == worklog_id))
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def _event(session: AsyncSession, event_class: type[WorklogEvent], actor: Actor, issue: Issue,
                 worklog: Worklog, at: datetime) -> None:
    await emit(session, event_class(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id,
                                    worklog_id=worklog.id, time_spent_seconds=worklog.time_spent_seconds,
                                    user_id=actor.user_id, timestamp=at.isoformat()),
               organization_id=issue.organization_id, aggregate_id=issue.id, actor_id=actor.user_id)


async def check_add_worklog(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                            time_spent_seconds: int, started: datetime | None = None, comment: object = None,
                            adjustment: RemainingAdjustment = RemainingAdjustment(),
                            at: datetime | None = None) -> Worklog:
    await authorize(session, actor, Permission.WORK_ON_ISSUES, project, issue)
    at = at or datetime.now(UTC)
    worklog = Worklog(organization_id=actor.organization_id, issue_id=issue.id, author_id=actor.user_id,
                      update_author_id=actor.user_id, started_at=started or at,
                      time_spent_seconds=validate_seconds(time_spent_seconds), comment=_comment(comment),
                      created_at=at, updated_at=at)
    session.add(worklog)
    await session.flush()
    await do_log_time(session, issue=issue, author_id=actor.user_id, spent_delta=worklog.time_spent_seconds,
                      adjustment=adjustment, worklog_id=worklog.id, at=at)
    await _event(session, WorklogAdded, actor, issue, worklog, at)
    return worklog


async def _may_change(session: AsyncSession, actor: Actor, issue: Issue, project: Project, worklog: Worklog,
                      own: Permission, every: Permission) -> None:
    if worklog.author_id == actor.user_id and await has_permission(session, actor, own, project, issue):
        return
    if not await has_permission(session, actor, every, project, issue):
        raise PermissionDenied("You may change only your own worklogs.")


async def check_update_worklog(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                               worklog: Worklog, time_spent_seconds: int | None = None,
                               started: datetime | None = None, comment: object = None,
                               adjustment: RemainingAdjustment = RemainingAdjustment(),
                               at: datetime | None = None) -> Worklog:
    """Only what is given changes; a changed time spent adjusts the issue's by the difference."""
    await _may_change(session, actor, issue, project, worklog, Permission.EDIT_OWN_WORKLOGS,
                      Permission.EDIT_ALL_WORKLOGS)
    at = at or datetime.now(UTC)
    if time_spent_seconds is not None:
        before = worklog.time_spent_seconds
        worklog.time_spent_seconds = validate_seconds(time_spent_seconds)
        if worklog.time_spent_seconds != before:
            await do_log_time(session, issue=issue, author_id=actor.user_id,
                              spent_delta=worklog.time_spent_seconds - before, adjustment=adjustment,
                              worklog_id=worklog.id, at=at)
    if started is not None:
        worklog.started_at = started
    if comment is not None:
        worklog.comment = _comment(comment)
    worklog.update_author_id = actor.user_id
    worklog.updated_at = at
    await session.flush()
    await _event(session, WorklogUpdated, actor, issue, worklog, at)
    return worklog


async def check_delete_worklog(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                               worklog: Worklog, adjustment: RemainingAdjustment = RemainingAdjustment()) -> None:
    """The work comes off the issue's time spent; `auto` gives it back to the remaining estimate."""
    await _may_change(session, actor, issue, project, worklog, Permission.DELETE_OWN_WORKLOGS,
                      Permission.DELETE_ALL_WORKLOGS)
    at = datetime.now(UTC)
    await session.execute(delete(Worklog).where(Worklog.organization_id == worklog.organization_id,
                                                Worklog.id == worklog.id))
    await do_log_time(session, issue=issue, author_id=actor.user_id, spent_delta=-worklog.time_spent_seconds,
                      adjustment=adjustment, worklog_id=worklog.id, at=at)
    await _event(session, WorklogDeleted, actor, issue, worklog, at)


async def worklogs_by_issue(session: AsyncSession, organization_id: int, issue_ids: Sequence[int], *,
                            per_issue: int = 20) -> dict[int, tuple[list[Worklog], int]]:
    """For a page of issues: each one's first `per_issue` worklogs (by start) and its total, in
    one query."""
    if not issue_ids:
        return {}
    rows = await session.scalars(select(Worklog).where(
        Worklog.organization_id == organization_id, Worklog.issue_id.in_(list(issue_ids)))
        .order_by(Worklog.issue_id, Worklog.started_at, Worklog.id))
    found: dict[int, tuple[list[Worklog], int]] = {}
    for worklog in rows.all():
        shown, total = found.get(worklog.issue_id, ([], 0))
        if len(shown) < per_issue:
            shown.append(worklog)
        found[worklog.issue_id] = (shown, total + 1)
    return found
