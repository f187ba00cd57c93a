"""Creating issues: resolve the input, pick the workflow, then write the issue with its number,
tail rank, child rows, watchers and `issue_created` event in the caller's transaction. On
PostgreSQL the common part is one statement (tessera.issues.sql.creation); SQLite takes one
statement per step."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from tessera.errors import InvalidInput, NotFound
from tessera.events.outbox import emit, remember_emitted
from tessera.events.types import IssueCreated
from tessera.issues.fields import IssueState
from tessera.issues.inputs import IssueCreate
from tessera.issues.models import Issue
from tessera.issues.ranks import ISSUE_RANKS, tail_prefix, tail_rank
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.sql.creation import CREATE_ISSUE, issue_parameters
from tessera.issues.state_writes import resolve_state, write_children
from tessera.issues.watchers.autowatch import auto_watch
from tessera.projects.models import Project
from tessera.projects.service import access_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission
from tessera.workflow.lookup import pick_workflow
from tessera.workflow.models import Workflow
from tessera.workflow.templates import TEMPLATES

_ISSUES = Issue.__table__
_PROJECTS = Project.__table__
_INSERT_ISSUE = insert(_ISSUES).returning(_ISSUES.c.id)
_NEXT_NUMBER = (update(_PROJECTS).where(_PROJECTS.c.id == bindparam("project"),
                                         _PROJECTS.c.organization_id == bindparam("org"))
                .values(issue_counter=_PROJECTS.c.issue_counter + 1, updated_at=bindparam("now"))
                .returning(_PROJECTS.c.issue_counter))


def workflow_for_new_issue(catalog: OrgCatalog, project: Project, issue_type_id: int, ref: object | None
                           ) -> Workflow:
    """An explicit workflow, else the project's workflow scheme (by issue type), else the scheme
    of the project's type, else the organization's default workflow."""
    if ref is not None:
        return pick_workflow(catalog.workflows, ref, None)
    scheme = next((s for s in catalog.schemes if s.id == project.workflow_scheme_id), None)
    if scheme is None:
        wanted = TEMPLATES.get(project.project_type, TEMPLATES["software"])["name"] + " scheme"
        scheme = next((s for s in catalog.schemes if s.name == wanted), None)
    if scheme is not None:
        workflow_id = scheme.mappings.get(str(issue_type_id), scheme.default_workflow_id)
        return catalog.workflow(workflow_id)
    return pick_workflow(catalog.workflows, None, project.default_workflow_id)


class NewIssue(NamedTuple):
    """A created issue with what it was made from, enough to render it without reading it back."""

    issue: Issue
    project: Project
    state: IssueState
    catalog: OrgCatalog


async def check_create_issue(session: AsyncSession, *, actor: Actor, data: IssueCreate,
                             catalog: OrgCatalog | None = None, at: datetime | None = None) -> Issue:
    return (await check_create_issue_for_view(session, actor=actor, data=data, catalog=catalog, at=at)).issue


async def check_create_issue_for_view(session: AsyncSession, *, actor: Actor, data: IssueCreate,
                       catalog: OrgCatalog | None = None, at: datetime | None = None) -> NewIssue:
    try:
        project = await access_project(session, actor, data.project_id, Permission.CREATE_ISSUES)
    except NotFound:
        raise InvalidInput(f"The project '{str(data.project_id)[:100]}' does not exist.",
                           field="project_id") from None
    if project.archived:
        raise InvalidInput(f"Project {project.key} is archived.", field="project_id")
    catalog = catalog or await catalog_for(session, actor)
    data = data.model_copy()
    fields_set = set(data.model_fields_set) | {"issue_type", "summary", "priority"}
    if data.reporter_id is None:
        data.reporter_id = actor.user_id
        fields_set.add("reporter_id")
    data.__pydantic_fields_set__ = fields_set
    state = await resolve_state(session, actor=actor, project=project, catalog=catalog, data=data, issue=None)
    workflow = workflow_for_new_issue(catalog, project, state.scalars["issue_type_id"], data.workflow_id)
    issue = await do_create_issue(session, actor=actor, project=project, state=state,
                                  workflow_id=workflow.id, status_id=workflow.definition["initial_status"],
                                  at=at or datetime.now(UTC))
    return NewIssue(issue, project, state, catalog)


async def do_create_issue(session: AsyncSession, *, actor: Actor, project: Project, state: IssueState,
                          workflow_id: int, status_id: int, at: datetime) -> Issue:
    """Allocates the project's next number as late as possible, to hold its row lock briefly. The
    issue gets its tail rank (tessera.issues.ranks): the bottom of the global order."""
    scalars = state.scalars
    values = dict(
        organization_id=actor.organization_id, project_id=project.id, issue_type_id=scalars["issue_type_id"],
        summary=scalars["summary"], description=scalars.get("description") or "", status_id=status_id,
        priority_id=scalars["priority_id"], workflow_id=workflow_id, assignee_id=scalars.get("assignee_id"),
        reporter_id=scalars.get("reporter_id"), creator_id=actor.user_id, parent_id=scalars.get("parent_id"),
        due_date=scalars.get("due_date"), created_at=at, updated_at=at, version=1,
        original_estimate=scalars.get("original_estimate"), remaining_estimate=scalars.get("remaining_estimate"),
        time_spent=None, security_level_id=scalars.get("security_level_id"))
    watchers = sorted({user_id for user_id in (values["reporter_id"], values["assignee_id"]) if user_id})
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        return await _create_in_one_statement(session, connection, actor=actor, project=project, state=state,
                                              values=values, watchers=watchers, at=at)
    number = (await connection.execute(_NEXT_NUMBER, {
        "project": project.id, "org": project.organization_id, "now": at})).scalar_one()
    key = f"{project.key}-{number}"
    issue_id = (await connection.execute(_INSERT_ISSUE, {**values, "number": number, "key": key})).scalar_one()
    await connection.execute(insert(ISSUE_RANKS), {"organization_id": actor.organization_id, "issue_id": issue_id,
                                                   "rank": tail_rank(at, issue_id)})
    issue = _persistent_issue(session, issue_id, number, key, values)
    await write_children(session, issue, state, replace=False)
    await auto_watch(session, issue, watchers, at)
    await emit(session, _created_event(issue, actor, at), organization_id=issue.organization_id,
               aggregate_id=issue.id, actor_id=actor.user_id)
    return issue


async def _create_in_one_statement(session: AsyncSession, connection: AsyncConnection, *, actor: Actor,
                                   project: Project, state: IssueState, values: dict, watchers: list[int],
                                   at: datetime) -> Issue:
    """PostgreSQL: number, issue, labels, watchers and outbox event in one statement
    (tessera.issues.sql.creation)."""
    row = (await connection.execute(CREATE_ISSUE, {
        "org": actor.organization_id, "project": project.id, "actor": actor.user_id, "now": at,
        "key_prefix": f"{project.key}-", "rank_prefix": tail_prefix(at), "labels": list(state.labels or ()),
        "watchers": watchers,
        "timestamp": at.isoformat(), **issue_parameters(values)}
    )).one()
    issue = _persistent_issue(session, row.id, row.number, row.key, values)
    await write_children(session, issue, dataclasses.replace(state, labels=None), replace=False)
    created = _created_event(issue, actor, at)
    remember_emitted(session, created, event_id=row.event_id, organization_id=issue.organization_id,
                     aggregate_id=issue.id, actor_id=actor.user_id, payload=created.payload(), created_at=at)
    return issue


def _persistent_issue(session: AsyncSession, issue_id: int, number: int, key: str, values: dict) -> Issue:
    issue = Issue(id=issue_id, number=number, key=key, resolution_id=None, resolved_at=None, **values)
    make_transient_to_detached(issue)
    session.add(issue)  # persistent without a second INSERT, so later steps may refresh it
    return issue


def _created_event(issue: Issue, actor: Actor, at: datetime) -> IssueCreated:
    return IssueCreated(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id, user_id=actor.user_id,
                        timestamp=at.isoformat())


