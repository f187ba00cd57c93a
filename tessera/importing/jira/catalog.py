"""The organization's side of a Jira import: what exists already (for the default mapping), and
everything the mapping names made to exist (projects with their components, versions and
workflow; statuses, issue types, priorities, resolutions, link types, custom fields with their
options, users), with the lookups the issue rows are built from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.models import Sprint
from tessera.errors import InvalidInput, NotFound
from tessera.importing.jira.mapping import Existing, is_placeholder
from tessera.importing.jira.survey import ProjectSeen, Survey
from tessera.importing.models import ImportMapping
from tessera.projects.catalog import list_issue_types, list_link_types, list_priorities, list_resolutions
from tessera.projects.custom_fields import list_field_definitions
from tessera.projects.models import (
    Component,
    CustomFieldDefinition,
    CustomFieldOption,
    IssueType,
    LinkType,
    Priority,
    Project,
    Resolution,
    Version,
)
from tessera.projects.service import check_create_project, get_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Organization, User
from tessera.tenancy.service import do_bump_catalog_version, normalize_email
from tessera.workflow.lookup import list_statuses
from tessera.workflow.models import Status, Workflow
from tessera.workflow.service import do_create_workflow, parse_spec, to_stored

ICONS = {1: "epic", 0: "task", -1: "subtask"}
CATEGORY_ORDER = {"todo": 0, "in_progress": 1, "done": 2}


@dataclass
class FieldTarget:
    id: int
    field_type: str
    options: dict[str, int]  # folded value -> option id


@dataclass
class ProjectTarget:
    id: int
    key: str
    workflow_id: int
    components: dict[str, int]
    versions: dict[str, int]
    created: bool


@dataclass
class Catalog:
    """Jira names to Tessera ids, for one import into one organization."""

    organization_id: int
    admin_id: int
    site: str
    projects: dict[str, ProjectTarget] = field(default_factory=dict)
    statuses: dict[str, tuple[int, str]] = field(default_factory=dict)  # Jira name -> (id, Tessera name)
    status_names: dict[int, str] = field(default_factory=dict)
    status_categories: dict[int, str] = field(default_factory=dict)
    issue_types: dict[str, int] = field(default_factory=dict)
    priorities: dict[str, tuple[int, str]] = field(default_factory=dict)
    default_priority: int = 0
    resolutions: dict[str, tuple[int, str]] = field(default_factory=dict)
    default_resolution: int | None = None
    link_types: dict[str, int] = field(default_factory=dict)
    fields: dict[str, FieldTarget] = field(default_factory=dict)  # by Jira field id
    users: dict[str, tuple[int, str]] = field(default_factory=dict)  # identity -> (id, display name)
    epic_link_fields: list[str] = field(default_factory=list)  # Jira Server's "Epic Link" custom field ids
    sprints: dict[str, int] = field(default_factory=dict)  # Jira sprint id -> Tessera sprint id
    sprint_field_id: int | None = None  # the organization's Sprint field, which holds an issue's sprint
    created: dict[str, int] = field(default_factory=dict)  # what this run made, by kind


async def existing_names(session: AsyncSession, organization_id: int) -> Existing:
    def folded(entries: Sequence[Any]) -> dict[str, str]:
        return {entry.name.casefold(): entry.name for entry in entries}

    definitions = await list_field_definitions(session, organization_id)
    emails = set((await session.scalars(select(User.email).where(User.organization_id == organization_id))).all())
    return Existing(statuses=folded(await list_statuses(session, organization_id)),
                    issue_types=folded(await list_issue_types(session, organization_id)),
                    priorities=folded(await list_priorities(session, organization_id)),
                    resolutions=folded(await list_resolutions(session, organization_id)),
                    link_types=folded(await list_link_types(session, organization_id)),
                    custom_fields={**{d.name.casefold(): d.key for d in definitions},
                                   **{d.key.casefold(): d.key for d in definitions}},
                    user_emails=emails)


def planned_counts(found: Survey, mapping: dict[str, Any], existing: Existing,
                   existing_projects: set[str]) -> dict[str, tuple[int, int]]:
    """(to create, to reuse) per kind: what a dry run reports."""
    counts: dict[str, tuple[int, int]] = {}
    known = {"statuses": existing.statuses, "issue_types": existing.issue_types,
             "priorities": existing.priorities, "resolutions": existing.resolutions,
             "link_types": existing.link_types}
    for section, names in known.items():
        targets = {entry["to"].casefold() for entry in mapping[section].values()}
        new = sum(1 for target in targets if target not in names)
        counts[section] = (new, len(targets) - new)
    fields = [entry for entry in mapping["custom_fields"].values() if not entry.get("skip")]
    new_fields = sum(1 for entry in fields if entry["to"].casefold() not in existing.custom_fields)
    counts["custom_fields"] = (new_fields, len(fields) - new_fields)
    emails = {normalize_email(entry["email"]) for entry in mapping["users"].values()}
    new_users = len(emails - existing.user_emails)
    counts["users"] = (new_users, len(emails) - new_users)
    new_projects = sum(1 for key in found.projects if key not in existing_projects)
    counts["projects"] = (new_projects, len(found.projects) - new_projects)
    return counts


async def prepare_catalog(session: AsyncSession, *, organization: Organization, found: Survey,
                          mapping: dict[str, Any]) -> Catalog:
    admin = await session.scalar(select(User).where(User.organization_id == organization.id, User.role == "admin",
                                                    User.active.is_(True)).order_by(User.id))
    if admin is None:
        raise NotFound(f"Organization {organization.key} has no active administrator to import as.")
    org = organization.id
    catalog = Catalog(organization_id=org, admin_id=admin.id, site=mapping["site"],
                      epic_link_fields=[fid for fid, seen in found.fields.items() if seen.name.casefold() == "epic link"])
    await _users(session, catalog, mapping["users"])
    await _statuses(session, catalog, mapping["statuses"])
    await _named(session, catalog, IssueType, await list_issue_types(session, org), mapping["issue_types"],
                 catalog.issue_types, lambda name, entry: IssueType(
                     organization_id=org, name=name, hierarchy_level=entry.get("level", 0),
                     icon=ICONS.get(entry.get("level", 0), "task"), description="Imported from Jira."))
    priorities = list(await list_priorities(session, org))
    sequence = max((p.sequence for p in priorities), default=0)
    made_priorities: dict[str, int] = {}

    def new_priority(name: str, entry: dict) -> Priority:
        nonlocal sequence
        sequence += 1
        return Priority(organization_id=org, name=name, sequence=sequence, color="#888888", is_default=False)

    await _named(session, catalog, Priority, priorities, mapping["priorities"], made_priorities, new_priority)
    everything = {p.id: p for p in await list_priorities(session, org)}
    catalog.priorities = {name: (pid, everything[pid].name) for name, pid in made_priorities.items()}
    catalog.default_priority = next((p.id for p in everything.values() if p.is_default), min(everything))
    made_resolutions: dict[str, int] = {}
    await _named(session, catalog, Resolution, await list_resolutions(session, org), mapping["resolutions"],
                 made_resolutions, lambda name, entry: Resolution(
                     organization_id=org, name=name, description=str(entry.get("description") or "Imported from Jira.")))
    resolutions = {r.id: r for r in await list_resolutions(session, org)}
    catalog.resolutions = {name: (rid, resolutions[rid].name) for name, rid in made_resolutions.items()}
    catalog.default_resolution = next((r.id for r in resolutions.values() if r.name == "Done"), None)
    await _named(session, catalog, LinkType, await list_link_types(session, org), mapping["link_types"],
                 catalog.link_types, lambda name, entry: LinkType(
                     organization_id=org, name=name, outward=str(entry.get("outward") or name)[:64],
                     inward=str(entry.get("inward") or name)[:64]))
    await _fields(session, catalog, mapping["custom_fields"])
    actor = Actor(organization_id=org, user_id=admin.id, email=admin.email, display_name=admin.display_name,
                  org_role=admin.role, via="system")
    for project in found.projects.values():
        catalog.projects[project.key] = await _project(session, catalog, actor, project)
        await _sprints(session, catalog, catalog.projects[project.key], project)
    await do_bump_catalog_version(session, org)
    return catalog


async def _users(session: AsyncSession, catalog: Catalog, entries: dict[str, dict]) -> None:
    """Each Jira user to a Tessera user: the one an earlier import made of that identity (Cloud's
    accountId, Server's key) when there is one, so an email Jira showed hidden then, or shows now,
    never makes a second user (a placeholder address gives way to the real one); else the user
    with the mapping's email; else a new, inactive one. The mapping file may still send an
    identity to another existing user by naming that user's email."""
    org, site = catalog.organization_id, catalog.site
    users = {user.id: user for user in (await session.scalars(select(User).where(User.organization_id == org))).all()}
    by_email = {user.email: user for user in users.values()}
    records = {external: row for external, row in (await session.execute(select(
        ImportMapping.external_id, ImportMapping).where(ImportMapping.organization_id == org,
                                                        ImportMapping.site == site, ImportMapping.kind == "user"))).all()}
    made = 0
    chosen: dict[str, User] = {}
    for identity, entry in entries.items():
        email = normalize_email(entry["email"])
        record = records.get(identity)
        earlier = users.get(record.local_id) if record is not None else None
        user = by_email.get(email)
        if earlier is not None and (user is None or user.id == earlier.id or is_placeholder(email)):
            if user is None and is_placeholder(earlier.email) and not is_placeholder(email):
                del by_email[earlier.email]
                earlier.email = email
                by_email[email] = earlier
            user = earlier
        elif user is None:
            # Inactive: the person has not joined; an admin activates (invites) them later.
            user = User(organization_id=org, email=email, display_name=str(entry.get("name") or identity)[:255],
                        role="member", active=False, password_hash=None)
            session.add(user)
            by_email[email] = user
            made += 1
        chosen[identity] = user
    await session.flush()
    for identity, user in chosen.items():
        record = records.get(identity)
        if record is None:
            session.add(ImportMapping(organization_id=org, site=site, kind="user", external_id=identity[:255],
                                      local_id=user.id))
        elif record.local_id != user.id:
            record.local_id = user.id
    await session.flush()
    catalog.users = {identity: (user.id, user.display_name) for identity, user in chosen.items()}
    catalog.created["users"] = made


async def _statuses(session: AsyncSession, catalog: Catalog, entries: dict[str, dict]) -> None:
    org = catalog.organization_id
    statuses = {status.name.casefold(): status for status in await list_statuses(session, org)}
    made = 0
    for name, entry in entries.items():
        target = entry["to"].strip()[:64]
        status = statuses.get(target.casefold())
        if status is None:
            status = Status(organization_id=org, name=target, category=entry.get("category", "in_progress"),
                            description="Imported from Jira.")
            session.add(status)
            await session.flush()
            statuses[target.casefold()] = status
            made += 1
        catalog.statuses[name] = (status.id, status.name)
    catalog.status_names = {status.id: status.name for status in statuses.values()}
    catalog.status_categories = {status.id: status.category for status in statuses.values()}
    catalog.created["statuses"] = made


async def _named(session: AsyncSession, catalog: Catalog, model: type, existing: Sequence[Any],
                 entries: dict[str, dict], out: dict[str, int], make: Any) -> None:
    by_name = {entry.name.casefold(): entry for entry in existing}
    made = 0
    for name, entry in entries.items():
        target = entry["to"].strip()[:64]
        row = by_name.get(target.casefold())
        if row is None:
            row = make(target, entry)
            session.add(row)
            await session.flush()
            by_name[target.casefold()] = row
            made += 1
        out[name] = row.id
    catalog.created[model.__tablename__] = made


async def _fields(session: AsyncSession, catalog: Catalog, entries: dict[str, dict]) -> None:
    org = catalog.organization_id
    definitions = list(await list_field_definitions(session, org))
    made = 0
    for field_id, entry in entries.items():
        if entry.get("skip"):
            continue
        target = entry["to"].strip()
        definition = next((d for d in definitions if target.casefold() in (d.key.casefold(), d.name.casefold())),
                          None)
        if definition is None:
            name = str(entry.get("name") or target)[:255]
            if any(d.name.casefold() == name.casefold() for d in definitions):
                name = f"{name} (Jira)"[:255]
            definition = CustomFieldDefinition(organization_id=org, key=target[:64], name=name,
                                               field_type=entry["type"], description="Imported from Jira.",
                                               project_ids=[], issue_type_ids=[])
            session.add(definition)
            await session.flush()
            definitions.append(definition)
            made += 1
        elif definition.field_type != entry["type"] and not (
                {definition.field_type, entry["type"]} <= {"select", "multi_select"}):
            raise InvalidInput(f"The mapping sends Jira field {entry.get('name') or field_id} ({entry['type']}) to "
                               f"{definition.name}, a {definition.field_type} field.", field="mapping.custom_fields")
        options = {option.value.casefold(): option for option in (await session.scalars(select(CustomFieldOption)
                   .where(CustomFieldOption.organization_id == org, CustomFieldOption.field_id == definition.id)
                   )).all()}
        position = len(options)
        for value in entry.get("options") or []:
            if str(value).casefold() not in options:
                option = CustomFieldOption(organization_id=org, field_id=definition.id, value=str(value)[:255],
                                           position=position)
                position += 1
                session.add(option)
                options[str(value).casefold()] = option
        await session.flush()
        catalog.fields[field_id] = FieldTarget(id=definition.id, field_type=definition.field_type,
                                               options={name: option.id for name, option in options.items()})
    catalog.created["custom_fields"] = made


async def _project(session: AsyncSession, catalog: Catalog, actor: Actor, seen: ProjectSeen) -> ProjectTarget:
    org = catalog.organization_id
    project = await get_project(session, org, seen.key)
    created = project is None
    if project is None:
        lead = catalog.users.get(seen.lead)[0] if seen.lead in catalog.users else None
        project = await check_create_project(session, actor=actor, key=seen.key, name=seen.name,
                                             description=seen.description, lead_id=lead)
        catalog.created["projects"] = catalog.created.get("projects", 0) + 1
    components = {c.name.casefold(): c.id for c in (await session.scalars(select(Component).where(
        Component.organization_id == org, Component.project_id == project.id))).all()}
    versions = {v.name.casefold(): v for v in (await session.scalars(select(Version).where(
        Version.organization_id == org, Version.project_id == project.id))).all()}
    for part in seen.components.values():
        if part.name.casefold() not in components:
            row = Component(organization_id=org, project_id=project.id, name=part.name, description=part.description)
            session.add(row)
            await session.flush()
            components[part.name.casefold()] = row.id
    for part in seen.versions.values():
        version = versions.get(part.name.casefold())
        if version is None:
            version = Version(organization_id=org, project_id=project.id, name=part.name,
                              description=part.description, start_date=part.start, release_date=part.release,
                              released=part.released, archived=part.archived)
            session.add(version)
            versions[part.name.casefold()] = version
        else:  # the release facts Jira knows now
            version.start_date = part.start or version.start_date
            version.release_date = part.release or version.release_date
            version.released, version.archived = part.released, part.archived
    await session.flush()
    workflow = await _workflow(session, catalog, project, seen)
    if created:
        project.default_workflow_id = workflow.id
    await session.flush()
    return ProjectTarget(id=project.id, key=project.key, workflow_id=workflow.id, components=components,
                         versions={name: version.id for name, version in versions.items()}, created=created)


async def _sprints(session: AsyncSession, catalog: Catalog, project: ProjectTarget, seen: ProjectSeen) -> None:
    """The project's sprints (as Jira last showed them), once per Jira sprint id."""
    if not seen.sprints:
        return
    org, site = catalog.organization_id, catalog.site
    if catalog.sprint_field_id is None:
        # the one agile planning and JQL's `sprint` read (OrgCatalog.sprint_field): keyed sprint, else the first
        sprint_fields = [d for d in await list_field_definitions(session, org) if d.field_type == "sprint"]
        catalog.sprint_field_id = next((d.id for d in sorted(sprint_fields, key=lambda d: d.key != "sprint")), None)
        if catalog.sprint_field_id is None:
            return
    known = dict((await session.execute(select(ImportMapping.external_id, ImportMapping.local_id).where(
        ImportMapping.organization_id == org, ImportMapping.site == site, ImportMapping.kind == "sprint",
        ImportMapping.external_id.in_(list(seen.sprints))))).all())
    made = 0
    for external, sprint in seen.sprints.items():
        values = {"name": sprint.name, "state": sprint.state, "start_at": sprint.start, "end_at": sprint.end,
                  "completed_at": sprint.complete}
        if external in known:
            row = await session.scalar(select(Sprint).where(Sprint.organization_id == org,
                                                            Sprint.id == known[external]))
            if row is not None:
                for name, value in values.items():
                    setattr(row, name, value)
                catalog.sprints[external] = row.id
                continue
        row = Sprint(organization_id=org, project_id=project.id, goal="", **values)
        session.add(row)
        await session.flush()
        session.add(ImportMapping(organization_id=org, site=site, kind="sprint", external_id=external,
                                  local_id=row.id))
        catalog.sprints[external] = row.id
        made += 1
    catalog.created["sprints"] = catalog.created.get("sprints", 0) + made
    await session.flush()


async def _workflow(session: AsyncSession, catalog: Catalog, project: Project, seen: ProjectSeen) -> Workflow:
    """The workflow the project's history implies: every status its issues were in, the
    transitions its changelogs show, and a transition into every status from any other (Jira's
    default workflows let any status move to any), so the team can move every issue on.
    Kept across imports (recorded in the mapping table) and grown when new statuses appear."""
    org = catalog.organization_id
    names = [catalog.statuses[name][1] for name in seen.statuses]
    for old, new in sorted(seen.transitions):
        names += [catalog.statuses[old][1], catalog.statuses[new][1]]
    categories = catalog.status_categories
    # every status of the organization: the workflow keeps those earlier imports put in it, which an
    # incremental run's issues may not name
    ids = {name: status_id for status_id, name in catalog.status_names.items()}
    ordered = sorted(dict.fromkeys(names), key=lambda n: (CATEGORY_ORDER[categories[ids[n]]], n))
    mapping_row = await session.scalar(select(ImportMapping).where(
        ImportMapping.organization_id == org, ImportMapping.site == catalog.site, ImportMapping.kind == "workflow",
        ImportMapping.external_id == project.key))
    workflow = None
    if mapping_row is not None:
        workflow = await session.scalar(select(Workflow).where(Workflow.organization_id == org,
                                                               Workflow.id == mapping_row.local_id))
    if workflow is not None:
        held = {status["name"] for status in workflow.definition["statuses"]}
        ordered = list(dict.fromkeys([*(s["name"] for s in workflow.definition["statuses"] if s["name"] in ids),
                                      *(n for n in ordered if n not in held)]))
    initial = _initial_status(catalog, seen, ordered, categories, ids)
    seen_transitions = sorted({(catalog.statuses[old][1], catalog.statuses[new][1]) for old, new in seen.transitions
                               if catalog.statuses[old][1] != catalog.statuses[new][1]})
    spec = parse_spec({
        "name": f"{project.key} workflow (from Jira)",
        "description": f"The statuses and transitions of {project.key}'s Jira history, and any status to any.",
        "statuses": [{"name": name, "category": categories[ids[name]]} for name in ordered],
        "initial_status": initial,
        "transitions": [{"id": f"seen{index}", "name": f"{old} to {new}", "from": [old], "to": new}
                        for index, (old, new) in enumerate(seen_transitions, start=1)][:300] + [
            {"id": f"any{index}", "name": name, "from": [], "to": name,
             "screen": ["resolution", "comment"] if categories[ids[name]] == "done" else []}
            for index, name in enumerate(ordered, start=1)],
    })
    if workflow is None:
        workflow = await do_create_workflow(session, organization_id=org, spec=spec)
        session.add(ImportMapping(organization_id=org, site=catalog.site, kind="workflow", external_id=project.key,
                                  local_id=workflow.id))
    elif [s["name"] for s in workflow.definition["statuses"]] != ordered:
        workflow.definition = await to_stored(session, org, spec)
        workflow.version += 1
    await session.flush()
    return workflow


def _initial_status(catalog: Catalog, seen: ProjectSeen, ordered: list[str], categories: dict[int, str],
                    ids: dict[str, int]) -> str:
    """Where the project's issues started: the most common first status of its changelogs, else
    its most common to-do status, else the first status."""
    for name, _count in seen.first_statuses.most_common():
        return catalog.statuses[name][1]
    todo = [(count, catalog.statuses[name][1]) for name, count in seen.statuses.items()
            if categories[catalog.statuses[name][0]] == "todo"]
    if todo:
        return max(todo)[1]
    return ordered[0]
