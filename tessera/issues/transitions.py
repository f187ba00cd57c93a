"""Running workflow transitions: load the facts the rules need, let the pure engine plan, then
apply the plan (status, screen fields, post-function effects, resolution, history, comments,
outbox events, the parent's move) in the caller's transaction: all of it commits or none."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from tessera.errors import Conflict, InvalidInput, PermissionDenied
from tessera.events.outbox import StatementEvents, emit
from tessera.events.types import IssueEvent, StatusChanged, WorkflowEventFired
from tessera.issues.comments.service import check_add_comment
from tessera.issues.fields import IssueState
from tessera.issues.history import (
    FieldChange,
    field_changes_payload,
    history_arrays,
    record_change_and_events,
    record_changes,
)
from tessera.issues.inputs import IssueUpdate
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.rule_facts import (
    load_actor_facts,
    load_snapshot,
    rule_field_names,
    rule_types,
    status_infos,
)
from tessera.issues.sql.guarded_update import guarded_update
from tessera.issues.sql.transition import transition_change
from tessera.issues.state import Describer, diff_states, load_state, parts_of
from tessera.issues.state_writes import resolve_state, write_children
from tessera.issues.views import Facets, UserBrief, facets_from_rows
from tessera.issues.watchers.autowatch import auto_watch
from tessera.projects.catalog import resolve_named
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize, has_permission
from tessera.workflow import engine
from tessera.workflow.context import RuleContext

_ISSUES = Issue.__table__

# Screen and post-function field names → IssueUpdate fields; others are custom field keys.
SYSTEM_FIELDS = {"assignee": "assignee_id", "reporter": "reporter_id", "summary": "summary",
                 "description": "description", "priority": "priority", "labels": "labels",
                 "components": "components", "fix_versions": "fix_versions",
                 "affected_versions": "affected_versions", "due_date": "due_date"}


class Transitioned(NamedTuple):
    """A transitioned issue, and what its view needs that the transition read already (on
    PostgreSQL, in its one statement): None where the view must read it itself (SQLite, or a
    part the transition rewrote afterwards: screen or post-function fields, the parent's status)."""

    issue: Issue
    facets: Facets | None = None
    linked: list | None = None
    users: tuple[UserBrief, ...] = ()


def _context(snapshot, facts, catalog: OrgCatalog, transition: dict, project: Project, screen: dict[str, Any],
             comment: str | None, now: datetime) -> RuleContext:  # type: ignore[no-untyped-def]
    return RuleContext(issue=snapshot, actor=facts, statuses=status_infos(catalog), to_status_id=transition["to"],
                       screen=screen, comment=comment, project_lead_id=project.lead_id, now=now)


def _transition_view(catalog: OrgCatalog, transition: dict) -> dict:
    target = catalog.status(transition["to"])
    return {"id": str(transition["id"]), "name": transition["name"],
            "to": {"id": target.id, "name": target.name, "category": target.category},
            "screen": list(transition.get("screen") or []), "has_screen": bool(transition.get("screen"))}


async def available_transitions(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                include_hidden: bool = False) -> list[dict]:
    """Only what the caller may run now, from the issue's current status."""
    await authorize(session, actor, Permission.BROWSE_PROJECTS, project)
    catalog = await catalog_for(session, actor)
    definition = catalog.workflow(issue.workflow_id).definition
    candidates = [t for t in definition.get("transitions", []) if engine.starts_from(t, issue.status_id)]
    if not candidates:
        return []
    types = rule_types(candidates, with_all_groups=False)
    snapshot = await load_snapshot(session, issue, catalog, types, rule_field_names(candidates, with_all_groups=False))
    facts = await load_actor_facts(session, actor, project, types)
    if "TRANSITION_ISSUES" not in facts.permissions:
        return []
    now = datetime.now(UTC)
    found = engine.available(definition, issue.status_id,
                             lambda t: _context(snapshot, facts, catalog, t, project, {}, None, now),
                             include_hidden=include_hidden)
    lacking = await _outcome_permissions_lacking(session, actor, project, issue)
    found = [t for t in found if not _needs(catalog, issue, t["to"], resolution_wanted=False) & lacking]
    return [_transition_view(catalog, t) for t in found]


# What the outcome of a transition asks beyond TRANSITION_ISSUES: entering a status of the Done
# category closes the issue; setting, changing or clearing its resolution (entering Done sets one,
# leaving Done clears it: reopening) resolves it. Jira grants these as Close Issues and Resolve Issues.
_OUTCOME_PERMISSIONS = (Permission.CLOSE_ISSUES, Permission.RESOLVE_ISSUES)


async def _outcome_permissions_lacking(session: AsyncSession, actor: Actor, project: Project,
                                       issue: Issue) -> frozenset[Permission]:
    return frozenset([p for p in _OUTCOME_PERMISSIONS if not await has_permission(session, actor, p, project, issue)])


def _needs(catalog: OrgCatalog, issue: Issue, to_status_id: int, *, resolution_wanted: bool) -> frozenset[Permission]:
    """The outcome permissions a move of `issue` into `to_status_id` needs (before it is planned:
    a post-function may still set a resolution, which check_outcome_permissions catches)."""
    done = catalog.status(to_status_id).category == "done"
    needed = {Permission.CLOSE_ISSUES} if done else set()
    if (done and (issue.resolution_id is None or resolution_wanted)) or (not done and issue.resolution_id is not None):
        needed.add(Permission.RESOLVE_ISSUES)
    return frozenset(needed)


async def check_outcome_permissions(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                    new_status_category: str, changes: list[FieldChange],
                                    resolution_chosen: bool) -> None:
    """Refuse a planned transition whose outcome the actor may not bring about: 403 as Jira's
    transition refusals, or 400 on the resolution field when the caller chose the resolution
    (Jira refuses a field the caller may not set on the field)."""
    if new_status_category == "done" and not await has_permission(
            session, actor, Permission.CLOSE_ISSUES, project, issue):
        raise engine.TransitionForbidden(f"You do not have the {Permission.CLOSE_ISSUES.value} permission: "
                                         f"{issue.key} cannot be moved to a status of the Done category.")
    if any(change.field_id == "resolution" for change in changes) and not await has_permission(
            session, actor, Permission.RESOLVE_ISSUES, project, issue):
        message = (f"You do not have the {Permission.RESOLVE_ISSUES.value} permission: "
                   f"the resolution of {issue.key} cannot be set or cleared.")
        if resolution_chosen:
            raise InvalidInput(f"Field 'resolution' cannot be set. {message}", field="fields.resolution",
                               code="transition_forbidden")
        raise engine.TransitionForbidden(message)


def _screen_values(transition: dict, fields: dict[str, Any]) -> dict[str, Any]:
    allowed = set(transition.get("screen") or [])
    for name in fields:
        if name not in allowed:
            raise InvalidInput(f"'{name}' is not on the screen of '{transition['name']}'"
                               + (f"; it asks for {', '.join(sorted(allowed))}." if allowed else "."),
                               field=f"fields.{name}")
    return dict(fields)


def _as_update(values: dict[str, Any]) -> IssueUpdate:
    body: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, value in values.items():
        if name in ("resolution", "comment"):
            continue
        if name in SYSTEM_FIELDS:
            body[SYSTEM_FIELDS[name]] = value
        else:
            custom[name] = value
    if custom:
        body["custom_fields"] = custom
    try:
        return IssueUpdate.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{location}: {first['msg']}", field=f"fields.{location}") from None


async def check_transition_issue(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                 transition_ref: str, fields: dict[str, Any] | None = None,
                                 resolution: object = None, comment: str | None = None,
                                 expected_version: int | None = None, at: datetime | None = None) -> Issue:
    return (await check_transition_issue_for_view(
        session, actor=actor, issue=issue, project=project, transition_ref=transition_ref, fields=fields,
        resolution=resolution, comment=comment, expected_version=expected_version, at=at)).issue


async def check_transition_issue_for_view(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                          transition_ref: str, fields: dict[str, Any] | None = None,
                                          resolution: object = None, comment: str | None = None,
                                          expected_version: int | None = None,
                                          at: datetime | None = None) -> Transitioned:
    """check_transition_issue, also handing back what the issue's view needs that the transition
    read already, so the response is rendered without reading the issue again."""
    try:
        await authorize(session, actor, Permission.TRANSITION_ISSUES, project, issue)
    except PermissionDenied as denied:
        raise engine.TransitionForbidden(denied.message) from None
    catalog = await catalog_for(session, actor)
    definition = catalog.workflow(issue.workflow_id).definition
    transition = engine.find(definition, transition_ref)
    if transition is None:
        raise InvalidInput(f"Transition '{str(transition_ref)[:100]}' is not in the issue's workflow.",
                           field="transition_id", code="unknown_transition")
    if expected_version is not None and expected_version != issue.version:
        raise Conflict(f"{issue.key} was changed by someone else.", code="version_conflict",
                       data={"current_version": issue.version})
    screen = _screen_values(transition, fields or {})
    if "comment" in screen:  # the screen's comment is the transition's comment, not an issue field
        if not isinstance(screen["comment"], str):
            raise InvalidInput("A comment is text.", field="fields.comment")
        comment = comment or screen["comment"]
    if resolution is not None:
        screen["resolution"] = resolution
    at = at or datetime.now(UTC)
    types = rule_types([transition], with_all_groups=True)
    snapshot = await load_snapshot(session, issue, catalog, types, rule_field_names([transition], with_all_groups=True))
    facts = await load_actor_facts(session, actor, project, types)
    plan = engine.plan(transition, _context(snapshot, facts, catalog, transition, project, screen, comment, at))
    return await do_apply_plan(session, actor=actor, issue=issue, project=project, catalog=catalog, plan=plan,
                               values={**screen, **plan.field_values}, comment=comment, at=at)


async def do_apply_plan(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                        catalog: OrgCatalog, plan: engine.TransitionPlan, values: dict[str, Any],
                        comment: str | None, at: datetime) -> Transitioned:
    """The guarded UPDATE (same version, same status) makes two concurrent runs of transitions
    from one status impossible: the second finds nothing to update and gets a Conflict."""
    update_data = _as_update(values)
    old_status, new_status = catalog.status(plan.from_status_id), catalog.status(plan.to_status_id)
    changes = [FieldChange("status", "status", str(old_status.id), old_status.name, str(new_status.id),
                           new_status.name)]
    new_state = IssueState()
    if update_data.model_fields_set:
        new_state = await resolve_state(session, actor=actor, project=project, catalog=catalog, data=update_data,
                                        issue=issue)
        old_state = await load_state(session, issue, parts_of(new_state))
        describer = Describer(catalog, known_users={actor.user_id: actor.display_name})
        await describer.load(session, actor.organization_id, [old_state, new_state])
        changes += diff_states(old_state, new_state, describer)
    row: dict[str, Any] = {"status_id": new_status.id}
    row.update({name: value for name, value in new_state.scalars.items() if getattr(issue, name) != value})
    old_resolution = catalog.resolution(issue.resolution_id)
    wanted_resolution = values.get("resolution")
    if new_status.category == "done":
        chosen = (resolve_named(catalog.resolutions, wanted_resolution, field="fields.resolution", what="resolution")
                  if wanted_resolution is not None else old_resolution or
                  next((r for r in catalog.resolutions if r.name == "Done"), catalog.resolutions[0]))
        row.update(resolution_id=chosen.id, resolved_at=issue.resolved_at if old_resolution else at)
        if old_resolution is None or old_resolution.id != chosen.id:
            changes.append(FieldChange("resolution", "resolution", str(old_resolution.id) if old_resolution else None,
                                       old_resolution.name if old_resolution else None, str(chosen.id), chosen.name))
    elif old_resolution is not None:
        row.update(resolution_id=None, resolved_at=None)
        changes.append(FieldChange("resolution", "resolution", str(old_resolution.id), old_resolution.name,
                                   None, None))
    await check_outcome_permissions(session, actor=actor, issue=issue, project=project,
                                    new_status_category=new_status.category, changes=changes,
                                    resolution_chosen=wanted_resolution is not None)
    new_version = issue.version + 1
    shared = dict(issue_id=issue.id, issue_key=issue.key, project_id=issue.project_id, user_id=actor.user_id,
                  timestamp=at.isoformat())
    transition = {"id": plan.transition_id, "name": plan.transition_name}
    events: list[IssueEvent] = [
        StatusChanged(**shared, transition=transition, field_changes=field_changes_payload(changes),
                      issue_version=new_version,
                      status_category={"from": old_status.category, "to": new_status.category}),
        *(WorkflowEventFired(event_name=name, **shared, transition=transition) for name in plan.events)]
    connection = await session.connection()
    one_statement = connection.dialect.name == "postgresql"
    known: Transitioned | None = Transitioned(issue)
    if one_statement:  # the UPDATE, the history, the events and the view's other rows: one round trip
        user_ids = {row.get("assignee_id", issue.assignee_id), issue.reporter_id, issue.creator_id} - {
            None, actor.user_id}
        known = await _change_with_history(session, connection, issue=issue, row=row,
                                           from_status_id=plan.from_status_id, author_id=actor.user_id,
                                           changes=changes, events=events, at=at, user_ids=sorted(user_ids))
    elif (await connection.execute(guarded_update(frozenset(row), status_guard=True), {
            **row, "updated_at": at, "w_id": issue.id, "w_org": issue.organization_id, "w_version": issue.version,
            "w_status": plan.from_status_id})).rowcount != 1:
        known = None
    if known is None:
        raise Conflict(f"{issue.key} was changed by someone else; reload it and try again.",
                       code="version_conflict")
    # The row now holds exactly these values: set them rather than read the row back.
    for name, value in {**row, "updated_at": at, "version": new_version}.items():
        set_committed_value(issue, name, value)
    await write_children(session, issue, new_state, replace=True)
    if row.get("assignee_id"):  # a screen field or an `assign` post-function
        await auto_watch(session, issue, (row["assignee_id"],), at)
    if not one_statement:
        await record_change_and_events(session, issue=issue, author_id=actor.user_id, changes=changes, at=at,
                                       events=events)
    for body in [*plan.comments, *([comment] if comment else [])]:
        await check_add_comment(session, actor=actor, issue=issue, project=project, body=body, at=at)
    if plan.parent_status_id is not None and issue.parent_id is not None:
        await _move_parent(session, actor=actor, issue=issue, catalog=catalog, status_id=plan.parent_status_id, at=at)
        known = known._replace(linked=None)  # the parent's status in the view
    if parts_of(new_state):  # written after the statement read them
        known = known._replace(facets=None)
    return known


async def _change_with_history(session: AsyncSession, connection: AsyncConnection, *, issue: Issue,
                               row: dict[str, Any], from_status_id: int, author_id: int,
                               changes: list[FieldChange], events: list[IssueEvent],
                               at: datetime, user_ids: list[int]) -> Transitioned | None:
    """PostgreSQL: the guarded UPDATE with its history and events (tessera.issues.sql.transition),
    and the view's other rows as they were before it; None when the guard found the issue
    changed, and then nothing was written."""
    carried = StatementEvents.of(events)
    result = (await connection.execute(transition_change(frozenset(row)), {
        **row, "updated_at": at, "w_id": issue.id, "w_org": issue.organization_id, "w_version": issue.version,
        "w_status": from_status_id, "author": author_id, **history_arrays(changes), **carried.parameters(),
        "parent": issue.parent_id, "user_ids": user_ids})).one()
    if not result.updated:
        return None
    carried.remember(session, result.event_ids, organization_id=issue.organization_id, aggregate_id=issue.id,
                     actor_id=author_id, created_at=at)
    return Transitioned(issue, facets=facets_from_rows(result.facet_rows), linked=result.linked_rows,
                        users=tuple(UserBrief(*user) for user in result.user_rows))


async def _move_parent(session: AsyncSession, *, actor: Actor, issue: Issue, catalog: OrgCatalog, status_id: int,
                       at: datetime) -> None:
    """A post-function's effect on the parent: a direct status move with history, no rules."""
    parent = await session.get(Issue, issue.parent_id)
    if parent is None or parent.status_id == status_id or \
            status_id not in {s["id"] for s in catalog.workflow(parent.workflow_id).definition["statuses"]}:
        return
    old, new = catalog.status(parent.status_id), catalog.status(status_id)
    row: dict[str, Any] = {"status_id": new.id}
    changes = [FieldChange("status", "status", str(old.id), old.name, str(new.id), new.name)]
    if new.category != "done" and parent.resolution_id is not None:
        row.update(resolution_id=None, resolved_at=None)
        resolution = catalog.resolution(parent.resolution_id)
        changes.append(FieldChange("resolution", "resolution", str(parent.resolution_id),
                                   resolution.name if resolution else None, None, None))
    await session.execute(update(Issue).where(Issue.id == parent.id).values(
        **row, updated_at=at, version=Issue.version + 1).execution_options(synchronize_session=False))
    await record_changes(session, issue=parent, author_id=actor.user_id, changes=changes, at=at)
    await session.refresh(parent)
    await emit(session, StatusChanged(issue_id=parent.id, issue_key=parent.key, project_id=parent.project_id,
                                      field_changes=field_changes_payload(changes), user_id=actor.user_id,
                                      timestamp=at.isoformat(), issue_version=parent.version, caused_by=issue.key,
                                      status_category={"from": old.category, "to": new.category}),
               organization_id=parent.organization_id, aggregate_id=parent.id, actor_id=actor.user_id)
