"""Moving issues into and out of sprints, and completing a sprint.

Membership is the issue's Sprint field, set through the ordinary issue update (so it needs
EDIT_ISSUES as well as SCHEDULE_ISSUES, writes history and an `issue_updated` event); the
scope record of any started sprint involved is then brought up to date from that history.

Sub-tasks follow their parent, as in Jira: adding a parent to a sprint brings its open
sub-tasks, sending it back to the backlog takes its open sub-tasks from that sprint, and
completing a sprint moves an unfinished parent together with all its sub-tasks in the sprint
(done or not), as well as any other unfinished issue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import AgileFields, agile_fields, sprints_of
from tessera.agile.models import Sprint, SprintBoard
from tessera.agile.ranking import access_rank_anchor, do_rank_issues
from tessera.agile.scope import do_snapshot
from tessera.agile.sprints import (
    access_next_sprint,
    do_change_sprint,
    do_sync_sprint,
    emit_sprint_event,
)
from tessera.errors import Conflict, InvalidInput, NotFound
from tessera.events.types import SprintCompleted
from tessera.issues.inputs import IssueUpdate
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.security import readable_issue_conditions, visible_issue_ids
from tessera.issues.service import access_issue, check_update_issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize


async def _set_sprint(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project, fields: AgileFields,
                      sprint_id: int | None, at: datetime) -> Issue:
    data = IssueUpdate(custom_fields={fields.sprint_ref: sprint_id})
    return await check_update_issue(session, actor=actor, issue=issue, project=project, data=data, at=at)


async def _sync_started(session: AsyncSession, actor: Actor, sprint_ids: set[int]) -> None:
    if not sprint_ids:
        return
    rows = (await session.execute(
        select(Sprint, SprintBoard).join(SprintBoard, and_(SprintBoard.organization_id == Sprint.organization_id,
                                                           SprintBoard.sprint_id == Sprint.id))
        .where(Sprint.organization_id == actor.organization_id, Sprint.id.in_(sorted(sprint_ids)),
               Sprint.state == "active"))).all()
    for sprint, link in rows:
        await do_sync_sprint(session, actor=actor, sprint=sprint, link=link)


async def _subtasks_of(session: AsyncSession, *, actor: Actor, catalog: OrgCatalog, parent_ids: Sequence[int],
                       open_only: bool) -> list[tuple[Issue, Project]]:
    """The sub-tasks of these parents the actor may see (only those not in a Done status when
    `open_only`), by id: one at a security level the actor is not in stays where it is."""
    subtask_types = [t.id for t in catalog.issue_types if t.hierarchy_level < 0]
    if not parent_ids or not subtask_types:
        return []
    query = select(Issue, Project).join(Project, Project.id == Issue.project_id).where(
        *await readable_issue_conditions(session, actor), Issue.parent_id.in_(list(parent_ids)),
        Issue.issue_type_id.in_(subtask_types))
    if open_only:
        query = query.where(Issue.status_id.notin_([s.id for s in catalog.statuses if s.category == "done"]))
    return [(issue, project) for issue, project in (await session.execute(query.order_by(Issue.id))).all()]


def _refuse_closed(sprint: Sprint) -> None:
    if sprint.state == "closed":
        raise Conflict("A closed sprint cannot be changed.", code="sprint_closed")


async def check_add_to_sprint(session: AsyncSession, *, actor: Actor, sprint: Sprint, refs: Sequence[object],
                              rank_before: object = None, rank_after: object = None,
                              at: datetime | None = None) -> list[Issue]:
    """Put issues (ids or keys) into a future or active sprint, optionally ranking them, in the
    given order, before or after another issue. Their open sub-tasks come along (after them in
    the list returned; they keep their own rank)."""
    _refuse_closed(sprint)
    found: list[tuple[Issue, Project]] = []
    for index, ref in enumerate(refs):
        try:
            issue, project = await access_issue(session, actor, ref)
        except NotFound:
            raise InvalidInput(f"The issue '{str(ref)[:100]}' does not exist.", field=f"issues.{index}") from None
        if all(issue.id != other.id for other, _ in found):
            found.append((issue, project))
    anchor = await access_rank_anchor(session, actor, rank_before=rank_before, rank_after=rank_after)
    for issue, project in found:
        await authorize(session, actor, Permission.SCHEDULE_ISSUES, project)
    at = at or datetime.now(UTC)
    catalog = await catalog_for(session, actor)
    fields = agile_fields(catalog)
    given = len(found)
    chosen = {issue.id for issue, _ in found}
    found += [(subtask, project) for subtask, project in await _subtasks_of(
        session, actor=actor, catalog=catalog, parent_ids=[issue.id for issue, _ in found], open_only=True)
        if subtask.id not in chosen]
    before = await sprints_of(session, actor.organization_id, fields, [issue.id for issue, _ in found])
    issues = [issue if before.get(issue.id) == sprint.id and index >= given else
              await _set_sprint(session, actor=actor, issue=issue, project=project, fields=fields,
                                sprint_id=sprint.id, at=at) for index, (issue, project) in enumerate(found)]
    if anchor is not None:
        await do_rank_issues(session, actor=actor, issues=issues[:given], anchor=anchor[0], before=anchor[1], at=at)
    await _sync_started(session, actor, {sprint.id, *before.values()})
    return issues


async def check_remove_from_sprint(session: AsyncSession, *, actor: Actor, sprint: Sprint, issue: Issue,
                                   project: Project, at: datetime | None = None) -> Issue:
    """Back to the backlog, with its open sub-tasks in this sprint."""
    _refuse_closed(sprint)
    catalog = await catalog_for(session, actor)
    fields = agile_fields(catalog)
    if (await sprints_of(session, actor.organization_id, fields, [issue.id])).get(issue.id) != sprint.id:
        raise NotFound("The issue is not in this sprint.")
    await authorize(session, actor, Permission.SCHEDULE_ISSUES, project)
    at = at or datetime.now(UTC)
    issue = await _set_sprint(session, actor=actor, issue=issue, project=project, fields=fields, sprint_id=None,
                              at=at)
    subtasks = await _subtasks_of(session, actor=actor, catalog=catalog, parent_ids=[issue.id], open_only=True)
    current = await sprints_of(session, actor.organization_id, fields, [subtask.id for subtask, _ in subtasks])
    for subtask, subtask_project in subtasks:
        if current.get(subtask.id) == sprint.id:
            await _set_sprint(session, actor=actor, issue=subtask, project=subtask_project, fields=fields,
                              sprint_id=None, at=at)
    await _sync_started(session, actor, {sprint.id})
    return issue


async def check_complete_sprint(session: AsyncSession, *, actor: Actor, sprint: Sprint, project: Project,
                                link: SprintBoard | None, move_open_issues_to: object = None,
                                at: datetime | None = None) -> dict[str, Any]:
    """active → closed. Issues not done (status category) move to the backlog or to the named
    future or active sprint, each unfinished parent with all its sub-tasks in the sprint; other
    done issues stay in the closed sprint. The record keeps which were
    completed and which not, with their estimates, as they were at completion. Issues the actor
    may not see are neither moved (the actor cannot edit them; they stay in the closed sprint, and
    so in the backlog, as unfinished) nor listed in the answer."""
    await authorize(session, actor, Permission.MANAGE_SPRINTS, project)
    if sprint.state != "active":
        raise Conflict(f"Only an active sprint can be completed; this one is {sprint.state}.",
                       code="sprint_not_active")
    target = await access_next_sprint(session, actor, sprint, move_open_issues_to)
    at = at or datetime.now(UTC)
    catalog = await catalog_for(session, actor)
    fields = agile_fields(catalog)
    await do_sync_sprint(session, actor=actor, sprint=sprint, link=link)
    kinds = await do_snapshot(session, sprint=sprint, fields=fields, catalog=catalog, at=at, actor_id=actor.user_id,
                              completing=True)
    await do_change_sprint(session, sprint, "active", state="closed", completed_at=at)
    open_ids = kinds["incomplete"]
    rows = (await session.execute(select(Issue, Project).join(Project, Project.id == Issue.project_id).where(
        *await readable_issue_conditions(session, actor), Issue.id.in_(open_ids)).order_by(Issue.id))).all() \
        if open_ids else []
    moving = {issue.id: (issue, issue_project) for issue, issue_project in rows}
    # An unfinished parent takes all its sub-tasks still in this sprint, finished ones too.
    in_sprint = set(kinds["completed"]) | set(open_ids)
    for subtask, subtask_project in await _subtasks_of(session, actor=actor, catalog=catalog,
                                                       parent_ids=sorted(moving), open_only=False):
        if subtask.id in in_sprint:
            moving.setdefault(subtask.id, (subtask, subtask_project))
    for issue_id in sorted(moving):
        issue, issue_project = moving[issue_id]
        await _set_sprint(session, actor=actor, issue=issue, project=issue_project, fields=fields,
                          sprint_id=target.id if target else None, at=at)
    if target is not None:
        await _sync_started(session, actor, {target.id})
    moved_to = target.id if target else "backlog"
    await emit_sprint_event(session, actor, sprint, SprintCompleted, board_id=link.board_id if link else None,
                            completed_issue_ids=kinds["completed"], incomplete_issue_ids=open_ids,
                            moved_issue_ids=sorted(moving), moved_to=moved_to)
    seen = await visible_issue_ids(session, actor, in_sprint)
    return {"completed_issue_ids": [i for i in kinds["completed"] if i in seen],
            "incomplete_issue_ids": [i for i in open_ids if i in seen], "moved_issue_ids": sorted(moving),
            "moved_to": moved_to}


async def check_plan_issue(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                           sprint: Sprint | None, rank_before: object = None, rank_after: object = None) -> Issue:
    """Planning by drag and drop: the issue goes into `sprint` (None: the backlog) unless it is
    there already, then is ranked next to the anchor, if one is given."""
    fields = agile_fields(await catalog_for(session, actor))
    current = (await sprints_of(session, actor.organization_id, fields, [issue.id])).get(issue.id)
    anchor = await access_rank_anchor(session, actor, rank_before=rank_before, rank_after=rank_after)
    if sprint is not None and current != sprint.id:
        [issue, *_] = await check_add_to_sprint(session, actor=actor, sprint=sprint, refs=[issue.id],
                                                rank_before=rank_before, rank_after=rank_after)
        return issue
    if sprint is None and current is not None:
        planned = await session.scalar(select(Sprint).where(Sprint.organization_id == actor.organization_id,
                                                            Sprint.id == current))
        if planned is not None and planned.state != "closed":
            issue = await check_remove_from_sprint(session, actor=actor, sprint=planned, issue=issue, project=project)
    if anchor is not None and anchor[0].id != issue.id:
        await authorize(session, actor, Permission.SCHEDULE_ISSUES, project)
        await do_rank_issues(session, actor=actor, issues=[issue], anchor=anchor[0], before=anchor[1])
    return issue
