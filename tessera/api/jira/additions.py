"""What a Jira `update` (or a transition's) adds besides field values: comments, worklogs and
issue links, written in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.bodies import ref_of
from tessera.api.jira.issue_input import IssueChanges
from tessera.issues.comments.service import check_add_comment
from tessera.issues.durations import parse_duration
from tessera.issues.links import check_create_link
from tessera.issues.models import Issue
from tessera.issues.worklogs.service import check_add_worklog
from tessera.jira_format.shapes import parse_jira_time
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor


async def apply_additions(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                          changes: IssueChanges) -> None:
    """The comments, worklogs and links an `update` adds, in the same transaction as the edit.
    A link with `outwardIssue` X reads "this issue <outward verb> X"; with `inwardIssue` X,
    "X <outward verb> this issue"."""
    for comment in changes.comments:
        await check_add_comment(session, actor=actor, issue=issue, project=project, body=comment.get("body"),
                                visibility=comment.get("visibility"))
    for worklog in changes.worklogs:
        seconds = parse_duration(worklog["timeSpent"]) if worklog.get("timeSpent") is not None \
            else worklog.get("timeSpentSeconds")
        started = parse_jira_time(worklog["started"], field="started") if worklog.get("started") else None
        await check_add_worklog(session, actor=actor, issue=issue, project=project, time_spent_seconds=seconds,
                                started=started, comment=worklog.get("comment"))
    for link in changes.links:
        other = ref_of(link.get("outwardIssue") or link.get("inwardIssue"), "key", "id")
        source, target = (issue.id, other) if link.get("outwardIssue") is not None else (other, issue.id)
        await check_create_link(session, actor=actor, link_type_ref=ref_of(link["type"], "id", "name"),
                                outward_issue_ref=source, inward_issue_ref=target)
