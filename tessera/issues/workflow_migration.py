"""Publishing a workflow draft and changing a project's workflow scheme: both may move existing
issues to other statuses. Moves are set-based (INSERT … SELECT, one UPDATE per mapping), write
history for every moved issue, and commit with the definition change or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, and_, cast, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.events.outbox import emit
from tessera.events.types import WorkflowPublished
from tessera.issues.models import ChangeGroup, ChangeItem, Issue
from tessera.issues.references import OrgCatalog, load_catalog
from tessera.projects.models import Project, Resolution
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.service import do_bump_catalog_version
from tessera.workflow.models import Workflow, WorkflowScheme
from tessera.workflow.service import parse_spec, to_stored, validate_spec


@dataclass(frozen=True)
class Move:
    """Issues matching `where` (plus status `from_status`) go to `to_status` in `to_workflow`."""

    from_status: int
    to_status: int
    to_workflow: int


def _resolve_status(catalog: OrgCatalog, ref: object) -> int | None:
    wanted_id = parse_id(ref)
    for status in catalog.statuses:
        if status.id == wanted_id or (isinstance(ref, str) and status.name.casefold() == ref.strip().casefold()):
            return status.id
    return None


def resolve_mapping(catalog: OrgCatalog, mapping: dict[str, Any], stranded: dict[int, int], allowed: set[int]
                    ) -> dict[int, int]:
    """{old status: new status} for every stranded status (status id → issue count); every
    missing or wrong entry is reported at once."""
    resolved: dict[int, int] = {}
    errors: dict[str, str] = {}
    for old_ref, new_ref in mapping.items():
        old_id, new_id = _resolve_status(catalog, old_ref), _resolve_status(catalog, new_ref)
        if old_id is None:
            errors[f"status_mapping.{old_ref}"] = f"unknown status '{old_ref}'"
        elif new_id is None or new_id not in allowed:
            errors[f"status_mapping.{old_ref}"] = f"'{new_ref}' is not a status of the new workflow"
        else:
            resolved[old_id] = new_id
    for status_id, count in stranded.items():
        if status_id not in resolved and f"status_mapping.{catalog.status(status_id).name}" not in errors:
            errors[f"status_mapping.{catalog.status(status_id).name}"] = (
                f"{count} issue(s) are in '{catalog.status(status_id).name}', which the new workflow lacks: "
                f"map it to one of its statuses")
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInput(f"{first[0]}: {first[1]}", errors=errors, field=first[0], code="status_mapping_required")
    return resolved


async def do_move_issues(session: AsyncSession, *, actor: Actor, catalog: OrgCatalog, where: list[Any],
                         move: Move, at: datetime) -> int:
    """Move the matching issues; a status change writes one history group per issue."""
    org = actor.organization_id
    selected = [Issue.organization_id == org, Issue.status_id == move.from_status, *where]
    count = await session.scalar(select(func.count()).select_from(Issue).where(*selected)) or 0
    if not count:
        return 0
    values: dict[str, Any] = {"workflow_id": move.to_workflow, "version": Issue.version + 1, "updated_at": at}
    if move.to_status != move.from_status:
        old, new = catalog.status(move.from_status), catalog.status(move.to_status)
        await session.execute(insert(ChangeGroup).from_select(
            ["organization_id", "issue_id", "author_id", "created_at"],
            select(Issue.organization_id, Issue.id, literal(actor.user_id), literal(at, ChangeGroup.created_at.type))
            .where(*selected)))
        fresh = and_(ChangeGroup.organization_id == org, ChangeGroup.issue_id == Issue.id,
                     ChangeGroup.created_at == at, ChangeGroup.author_id == actor.user_id)
        await session.execute(insert(ChangeItem).from_select(
            ["organization_id", "group_id", "issue_id", "field", "field_id", "field_type", "from_value",
             "from_string", "to_value", "to_string", "author_id", "created_at"],
            select(ChangeGroup.organization_id, ChangeGroup.id, ChangeGroup.issue_id, literal("status"),
                   literal("status"), literal("jira"), literal(str(old.id)), literal(old.name), literal(str(new.id)),
                   literal(new.name), literal(actor.user_id), literal(at, ChangeItem.created_at.type))
            .join(Issue, fresh).where(*selected)))
        values["status_id"] = new.id
        resolution: Resolution | None = None
        if old.category == "done" and new.category != "done":
            values.update(resolution_id=None, resolved_at=None)
        elif new.category == "done" and old.category != "done":
            resolution = next((r for r in catalog.resolutions if r.name == "Done"), catalog.resolutions[0])
            values.update(resolution_id=resolution.id, resolved_at=at)
        if "resolution_id" in values:  # the resolution's change goes into the same history group
            await _record_resolution_changes(session, selected, fresh, resolution, actor.user_id, at)
    await session.execute(update(Issue).where(*selected).values(**values).execution_options(
        synchronize_session=False))
    return count


async def _record_resolution_changes(session: AsyncSession, selected: list[Any], fresh: Any,
                                     resolution: Resolution | None, author_id: int, at: datetime) -> None:
    """History items for the issues among `selected` whose resolution becomes `resolution`
    (None: cleared), read before the issues are updated."""
    before = select(Resolution.name).where(Resolution.id == Issue.resolution_id).scalar_subquery()
    changing = Issue.resolution_id.is_distinct_from(resolution.id if resolution else None)
    await session.execute(insert(ChangeItem).from_select(
        ["organization_id", "group_id", "issue_id", "field", "field_id", "field_type", "from_value",
         "from_string", "to_value", "to_string", "author_id", "created_at"],
        select(ChangeGroup.organization_id, ChangeGroup.id, ChangeGroup.issue_id, literal("resolution"),
               literal("resolution"), literal("jira"), cast(Issue.resolution_id, String), before,
               literal(str(resolution.id) if resolution else None, String),
               literal(resolution.name if resolution else None, String), literal(author_id),
               literal(at, ChangeItem.created_at.type))
        .join(Issue, fresh).where(*selected, changing)))


async def _status_counts(session: AsyncSession, organization_id: int, where: list[Any]) -> dict[int, int]:
    rows = await session.execute(select(Issue.status_id, func.count()).where(
        Issue.organization_id == organization_id, *where).group_by(Issue.status_id))
    return {status_id: count for status_id, count in rows.all()}


async def stranded_by_draft(session: AsyncSession, catalog: OrgCatalog, workflow: Workflow) -> dict[str, int]:
    """{status name: issue count} of the statuses holding this workflow's issues that its draft
    drops: publishing needs a status mapping for each (check_publish_workflow)."""
    if not workflow.draft:
        return {}
    kept = {status["name"].casefold() for status in workflow.draft["spec"]["statuses"]}
    counts = await _status_counts(session, workflow.organization_id, [Issue.workflow_id == workflow.id])
    return dict(sorted((catalog.status(status_id).name, count) for status_id, count in counts.items()
                       if catalog.status(status_id).name.casefold() not in kept))


async def check_publish_workflow(session: AsyncSession, *, actor: Actor, workflow: Workflow,
                                 status_mapping: dict[str, Any]) -> dict[str, Any]:
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    # Lock the row: a second publisher of the same draft waits here, then finds it published
    # (without the lock, concurrent publishers all succeeded on PostgreSQL, each counting and
    # moving the same issues and setting the same new version).
    await session.refresh(workflow, with_for_update=True)
    if not workflow.draft:
        raise InvalidInput("The workflow has no draft to publish.", field="draft", code="no_draft")
    spec = parse_spec(workflow.draft["spec"])
    await validate_spec(session, actor.organization_id, spec)
    definition = await to_stored(session, actor.organization_id, spec)
    catalog = await load_catalog(session, actor.organization_id)
    allowed = {s["id"] for s in definition["statuses"]}
    where = [Issue.workflow_id == workflow.id]
    stranded = {sid: n for sid, n in (await _status_counts(session, actor.organization_id, where)).items()
                if sid not in allowed}
    mapping = resolve_mapping(catalog, status_mapping, stranded, allowed)
    at = datetime.now(UTC)
    moved = {catalog.status(old).name: await do_move_issues(
        session, actor=actor, catalog=catalog, where=where, move=Move(old, mapping[old], workflow.id), at=at)
        for old in stranded}
    workflow.definition = definition
    workflow.version += 1
    workflow.draft = None
    await session.flush()
    await do_bump_catalog_version(session, actor.organization_id)
    await emit(session, WorkflowPublished(workflow_id=workflow.id, workflow_version=workflow.version, moved=moved,
                                          user_id=actor.user_id, timestamp=at.isoformat()),
               organization_id=actor.organization_id, aggregate_id=workflow.id, actor_id=actor.user_id)
    return {"workflow_id": workflow.id, "version": workflow.version, "moved": moved}


async def check_assign_scheme(session: AsyncSession, *, actor: Actor, project: Project, scheme: WorkflowScheme,
                              status_mapping: dict[str, Any]) -> dict[str, Any]:
    """Point a project at a scheme and move its issues onto the scheme's workflows."""
    await authorize(session, actor, Permission.ADMINISTER_PROJECTS, project)
    # Lock the project (which also holds back issue creation in it): a concurrent assignment
    # waits, then finds the issues moved (without it both moved them, on PostgreSQL).
    await session.refresh(project, with_for_update=True)
    catalog = await load_catalog(session, actor.organization_id)
    groups = (await session.execute(select(Issue.issue_type_id, Issue.workflow_id, Issue.status_id, func.count())
                                    .where(Issue.organization_id == actor.organization_id,
                                           Issue.project_id == project.id)
                                    .group_by(Issue.issue_type_id, Issue.workflow_id, Issue.status_id))).all()
    plans: list[tuple[int, int, int, int]] = []  # issue type, old workflow, status, new workflow
    stranded: dict[int, int] = {}
    allowed: set[int] = set()
    for type_id, workflow_id, status_id, count in groups:
        target = scheme.mappings.get(str(type_id), scheme.default_workflow_id)
        statuses = {s["id"] for s in catalog.workflow(target).definition["statuses"]}
        allowed |= statuses
        plans.append((type_id, workflow_id, status_id, target))
        if status_id not in statuses:
            stranded[status_id] = stranded.get(status_id, 0) + count
    mapping = resolve_mapping(catalog, status_mapping, stranded, allowed)
    at = datetime.now(UTC)
    moved = 0
    for type_id, workflow_id, status_id, target in plans:
        if workflow_id == target:
            continue
        statuses = {s["id"] for s in catalog.workflow(target).definition["statuses"]}
        to_status = status_id if status_id in statuses else mapping[status_id]
        if to_status not in statuses:
            raise InvalidInput(f"'{catalog.status(to_status).name}' is not in workflow "
                               f"'{catalog.workflow(target).name}'.", field="status_mapping")
        moved += await do_move_issues(session, actor=actor, catalog=catalog, where=[
            Issue.project_id == project.id, Issue.issue_type_id == type_id, Issue.workflow_id == workflow_id],
            move=Move(status_id, to_status, target), at=at)
    project.workflow_scheme_id = scheme.id
    await session.flush()
    await do_bump_catalog_version(session, actor.organization_id)
    return {"project_id": project.id, "workflow_scheme_id": scheme.id, "moved": moved}
