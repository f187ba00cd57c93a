"""What a Jira `update` (or a transition's) adds besides field values: comments and worklogs,
written in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.issue_input import IssueChanges
from tessera.api.jira.shapes import parse_jira_time
from tessera.collaboration.worklogs import check_add_worklog, parse_duration
from tessera.issues.comments import check_add_comment
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor


async def apply_additions(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                          changes: IssueChanges) -> None:
    """The comments and worklogs an `update` adds, in the same transaction as the edit."""
    for comment in changes.comments:
        await check_add_comment(session, actor=actor, issue=issue, project=project, body=comment.get("body"),
                                visibility=comment.get("visibility"))
    for worklog in changes.worklogs:
        seconds = parse_duration(worklog["timeSpent"]) if worklog.get("timeSpent") is not None \
            else worklog.get("timeSpentSeconds")
        started = parse_jira_time(worklog["started"], field="started") if worklog.get("started") else None
        await check_add_worklog(session, actor=actor, issue=issue, project=project, time_spent_seconds=seconds,
                                started=started, comment=worklog.get("comment"))
