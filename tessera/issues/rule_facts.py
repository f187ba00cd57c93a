"""Loading what workflow rules look at, and only what the rules in play need."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tessera.issues.models import ChangeItem, Issue, IssueLink
from tessera.issues.references import OrgCatalog
from tessera.issues.state import load_state
from tessera.projects.models import Component, Project, Version
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Group, GroupMember
from tessera.tenancy.permissions import load_project_roles, permissions_held
from tessera.workflow.context import ActorFacts, IssueSnapshot, StatusInfo

# Which rule types need which facts beyond the issue row itself.
NEEDS_FIELDS = {"field_value", "field_required", "field_matches", "date_in_range"}
NEEDS_SUBTASKS = {"subtasks_in_category"}
NEEDS_BLOCKERS = {"not_blocked"}
NEEDS_PARENT = {"parent_status", "update_parent"}
NEEDS_GROUPS = {"user_in_group"}
NEEDS_ROLES = {"user_in_project_role"}
# Field names a snapshot takes from the issue row itself (and the transition's comment): rules
# that name only these need no read of labels, components, versions or custom values.
ROW_FIELDS = frozenset({"summary", "description", "priority", "issue_type", "status", "assignee", "reporter",
                        "resolution", "due_date", "comment"})


def _rules(transitions: Iterable[dict], with_all_groups: bool) -> Iterable[dict]:
    groups = ("conditions", "validators", "post_functions") if with_all_groups else ("conditions",)
    return (rule for t in transitions for group in groups for rule in t.get(group) or [])


def rule_types(transitions: Iterable[dict], *, with_all_groups: bool) -> set[str]:
    return {rule["type"] for rule in _rules(transitions, with_all_groups)}


def rule_field_names(transitions: Iterable[dict], *, with_all_groups: bool) -> set[str]:
    """The fields the field rules in play name (`field` or `fields` in their params)."""
    names: set[str] = set()
    for rule in _rules(transitions, with_all_groups):
        if rule["type"] in NEEDS_FIELDS:
            params = rule.get("params") or {}
            names.update(params.get("fields") or ())
            if params.get("field"):
                names.add(params["field"])
    return names


def status_infos(catalog: OrgCatalog) -> dict[int, StatusInfo]:
    return {s.id: StatusInfo(s.id, s.name, s.category) for s in catalog.statuses}


async def load_actor_facts(session: AsyncSession, actor: Actor, project: Project, types: set[str]) -> ActorFacts:
    groups: frozenset[str] = frozenset()
    if types & NEEDS_GROUPS:
        groups = frozenset((await session.scalars(
            select(Group.name).join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.organization_id == actor.organization_id, GroupMember.user_id == actor.user_id)
        )).all())
    roles = await load_project_roles(session, actor, project.id) if types & NEEDS_ROLES else frozenset()
    return ActorFacts(user_id=actor.user_id, org_role=actor.org_role,
                      permissions=await permissions_held(session, actor, project), project_roles=roles, groups=groups)


async def load_snapshot(session: AsyncSession, issue: Issue, catalog: OrgCatalog, types: set[str],
                        field_names: set[str] | None = None) -> IssueSnapshot:
    """`field_names` (rule_field_names) lets a snapshot whose rules name only row fields skip
    reading the issue's multi-valued and custom fields; None reads them whenever a field rule is in play."""
    org = issue.organization_id
    resolution = catalog.resolution(issue.resolution_id)
    fields: dict[str, object] = {
        "summary": issue.summary, "description": issue.description,
        "priority": catalog.priority(issue.priority_id).name, "issue_type": catalog.issue_type(issue.issue_type_id).name,
        "status": catalog.status(issue.status_id).name, "assignee": issue.assignee_id, "reporter": issue.reporter_id,
        "resolution": resolution.name if resolution else None,
        "due_date": issue.due_date.isoformat() if issue.due_date else None,
    }
    if types & NEEDS_FIELDS and (field_names is None or not field_names <= ROW_FIELDS):
        state = await load_state(session, issue)
        names = {}
        part_ids = {*state.components, *state.fix_versions, *state.affected_versions}  # type: ignore[misc]
        for model in (Component, Version):
            if part_ids:
                names.update(dict((await session.execute(select(model.id, model.name).where(
                    model.organization_id == org, model.id.in_(part_ids)))).all()))
        fields.update(labels=list(state.labels or ()), components=[names[i] for i in state.components or ()],
                      fix_versions=[names[i] for i in state.fix_versions or ()],
                      affected_versions=[names[i] for i in state.affected_versions or ()])
        for field_id, values in state.custom.items():
            definition = catalog.field(field_id)
            shown = [catalog.option_value(v.ref) if definition.field_type in ("select", "multi_select")
                     else v.number if v.number is not None else v.day.isoformat() if v.day else v.text or v.ref
                     for v in values]
            fields[definition.key] = shown if definition.field_type == "multi_select" else (shown[0] if shown else None)
    subtask_status_ids: tuple[int, ...] = ()
    if types & NEEDS_SUBTASKS:
        subtask_types = [t.id for t in catalog.issue_types if t.hierarchy_level < 0]
        subtask_status_ids = tuple((await session.scalars(select(Issue.status_id).where(
            Issue.organization_id == org, Issue.parent_id == issue.id,
            Issue.issue_type_id.in_(subtask_types)))).all())
    blockers: tuple[str, ...] = ()
    if types & NEEDS_BLOCKERS:
        blocks = next((lt.id for lt in catalog.link_types if lt.name == "Blocks"), None)
        done = [s.id for s in catalog.statuses if s.category == "done"]
        blocker = aliased(Issue)
        blockers = tuple((await session.scalars(
            select(blocker.key).join(IssueLink, and_(IssueLink.source_issue_id == blocker.id,
                                                     IssueLink.link_type_id == blocks))
            .where(IssueLink.organization_id == org, IssueLink.target_issue_id == issue.id,
                   blocker.status_id.not_in(done)))).all())
    parent_status_id = None
    if issue.parent_id and types & NEEDS_PARENT:
        parent_status_id = await session.scalar(select(Issue.status_id).where(
            Issue.organization_id == org, Issue.id == issue.parent_id))
    visited: tuple[int, ...] = ()
    if "previous_status" in types:
        visited = tuple(int(v) for v in (await session.scalars(select(ChangeItem.from_value).where(
            ChangeItem.organization_id == org, ChangeItem.issue_id == issue.id,
            ChangeItem.field_id == "status"))).all() if v)
    return IssueSnapshot(
        id=issue.id, key=issue.key, project_id=issue.project_id, issue_type_id=issue.issue_type_id,
        status_id=issue.status_id, assignee_id=issue.assignee_id, reporter_id=issue.reporter_id,
        resolution_id=issue.resolution_id, parent_id=issue.parent_id, fields=fields,
        subtask_status_ids=subtask_status_ids, open_blocker_keys=blockers, parent_status_id=parent_status_id,
        visited_status_ids=visited)
