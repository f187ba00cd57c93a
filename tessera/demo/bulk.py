"""Bulk loading of synthetic issues through the database's own bulk paths, for benchmarks.

The organization, its people and projects are made with the ordinary services; issues and
everything hanging off them are then written in batches through tessera.demo.table_writers:
COPY on PostgreSQL, `executemany` in one transaction per batch on SQLite.
Issue and change-group ids are allocated before the rows are built, so child rows can refer to
them. No outbox events are written: a load is not something subscribers should hear about.
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.engine import Database
from tessera.demo import vocabulary as words
from tessera.demo.rows import (
    LoadCatalog,
    LoadProject,
    RowFactory,
    span_rows,
)
from tessera.demo.table_writers import table_writer
from tessera.demo.workspace import (
    ProjectSpec,
    VersionSpec,
    actor_for,
    create_project_with_parts,
    create_users,
)
from tessera.errors import InvalidInput, NotFound
from tessera.onboarding.organizations import check_create_organization
from tessera.projects.catalog import list_issue_types, list_priorities, list_resolutions
from tessera.projects.custom_fields import find_definition, list_field_definitions
from tessera.projects.models import Component, Project, Version
from tessera.tenancy.models import Organization, User
from tessera.tenancy.service import get_organization_by_key
from tessera.workflow.lookup import list_statuses, resolve_workflow

BATCH_SIZE = 50_000
USER_COUNT = 50
HISTORY_SECONDS = 2 * 365 * 86_400
STATUS_NAMES = ("To Do", "In Progress", "In Review", "Done", "Won't Do")
TYPE_NAMES = ("Epic", "Story", "Task", "Bug", "Sub-task")
LOAD_PROJECTS = (
    ProjectSpec("WEB", "Storefront Web", "software", "web", "The web shop.",
                ("Checkout", "Accounts", "Search", "Design System", "Catalog")),
    ProjectSpec("API", "Commerce API", "software", "api", "Public and internal APIs.",
                ("Payments", "Auth", "Webhooks", "Inventory", "Orders")),
    ProjectSpec("MOB", "Mobile Apps", "software", "mobile", "iOS and Android apps.",
                ("iOS", "Android", "Sync", "Notifications", "Onboarding")),
    ProjectSpec("DATA", "Data Platform", "software", "api", "Pipelines and the warehouse.",
                ("Ingestion", "Warehouse", "Reporting", "ML Features", "Quality")),
    ProjectSpec("INFRA", "Infrastructure", "software", "api", "Clusters, networks and CI.",
                ("Kubernetes", "Networking", "CI", "Observability", "Databases")),
    ProjectSpec("SEC", "Security", "software", "web", "Application and platform security.",
                ("AppSec", "IAM", "Compliance", "Incident Response", "Secrets")),
    ProjectSpec("SUP", "Customer Support", "service_desk", "web", "Escalations from support.",
                ("Billing", "Access", "Bugs", "How-to", "Refunds")),
    ProjectSpec("OPS", "Operations", "business", "ops", "Vendors, facilities, people operations.",
                ("Facilities", "Finance", "People", "Vendors", "Travel")),
    ProjectSpec("MKT", "Marketing Site", "business", "web", "Campaigns and the marketing site.",
                ("Campaigns", "SEO", "Brand", "Events", "Content")),
    ProjectSpec("DOCS", "Documentation", "business", "ops", "Product and API documentation.",
                ("Guides", "API Reference", "Tutorials", "Release Notes", "Translations")),
)
LOAD_VERSIONS = tuple(VersionSpec(f"{major}.{minor}", None, None, major < 3) for major in (1, 2, 3)
                      for minor in (0, 1))


@dataclass(frozen=True)
class LoadResult:
    organization_key: str
    issues: int
    seconds: float
    rate: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def bulk_load(database: Database, *, org_key: str, issues: int, seed: int = 1,
                    progress: Callable[[str], None] | None = None,
                    project_keys: Sequence[str] = ()) -> LoadResult:
    """Add `issues` issues to `org_key` (created with its people and projects if missing), spread
    over its projects, or over `project_keys` only.

    Each batch commits on its own; issue numbers are reserved in a short transaction first, so
    concurrent API writers to the same projects wait only for that. A failed batch leaves a gap
    in the numbers and nothing else."""
    if issues < 1:
        raise InvalidInput("Load at least one issue.", field="issues")
    report = progress or (lambda _message: None)
    started = time.perf_counter()
    async with database.unit_of_work() as session:
        catalog, projects, key = await _prepare(session, org_key=org_key)
    if project_keys:
        wanted = {project_key.strip().upper() for project_key in project_keys}
        projects = [project for project in projects if project.key in wanted]
        if len(projects) != len(wanted):
            raise InvalidInput(f"Load into projects of {', '.join(p.key for p in LOAD_PROJECTS)}.", field="project")
    report(f"{key}: {len(catalog.user_ids)} users, {len(projects)} projects ready in "
           f"{time.perf_counter() - started:.1f}s; loading {issues:,} issues")
    writer = table_writer(database, report)
    now = int(time.time())
    factory = RowFactory(catalog, projects, seed=seed, total=issues, start=now - HISTORY_SECONDS, end=now,
                         stamp=writer.stamp)
    done = 0
    while done < issues:
        draft = factory.draw(min(BATCH_SIZE, issues - done))
        async with database.unit_of_work() as session:
            numbers = await _reserve_numbers(session, catalog.organization_id, draft.projects)
        async with database.unit_of_work() as session:
            await writer.prepare(session)
            await writer.before_issue_batch(session)
            issue_ids = await writer.allocate_ids(session, "issues", len(draft.projects))
            group_ids = await writer.allocate_ids(session, "change_groups", draft.group_count)
            batch = factory.batch(draft, numbers, issue_ids, group_ids)
            if writer.writes_spans:  # the history goes in with the span triggers off
                batch.spans = span_rows(batch)
            await writer.write(session, batch)
            await writer.after_batch(session, catalog.organization_id, issue_ids)
        done += len(draft.projects)
        elapsed = time.perf_counter() - started
        report(f"{done:,}/{issues:,} issues in {elapsed:.1f}s ({done / elapsed:,.0f}/s)")
    async with database.unit_of_work() as session:
        await writer.finish(session)
    seconds = time.perf_counter() - started
    return LoadResult(organization_key=key, issues=issues, seconds=round(seconds, 2),
                      rate=round(issues / seconds, 1))


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace("'", "")


def load_people(org_key: str) -> list[tuple[str, str, str]]:
    """USER_COUNT distinct (display name, email, role) for a load organization."""
    people = []
    for index in range(USER_COUNT):
        first = words.FIRST_NAMES[index % len(words.FIRST_NAMES)]
        last = words.LAST_NAMES[(index * 7) % len(words.LAST_NAMES)]
        email = f"{_ascii(first)}.{_ascii(last)}.{index}@{org_key.lower()}.test"
        people.append((f"{first} {last}", email, "viewer" if index % 10 == 9 else "member"))
    return people


async def _prepare(session: AsyncSession, *, org_key: str) -> tuple[LoadCatalog, list[LoadProject], str]:
    organization = await get_organization_by_key(session, org_key)
    if organization is None:
        key = org_key.strip().upper()
        new = await check_create_organization(session, key=key, name=f"{key} (load test)",
                                              admin_email=f"load-admin@{key.lower()}.test", admin_password=None,
                                              admin_name="Load Admin")
        organization = new.organization
    users = list((await session.scalars(select(User).where(User.organization_id == organization.id)
                                        .order_by(User.id))).all())
    admin = next((user for user in users if user.role == "admin" and user.active), None)
    if admin is None:
        raise NotFound(f"Organization {organization.key} has no active administrator.")
    known = {user.email for user in users}
    users += await create_users(session, organization=organization, password=None,
                                people=[p for p in load_people(organization.key) if p[1] not in known])
    workers = [user for user in users if user.active and user.role != "viewer"]
    existing = {project.key for project in (await session.scalars(select(Project).where(
        Project.organization_id == organization.id))).all()}
    for index, spec in enumerate(LOAD_PROJECTS):
        if spec.key not in existing:
            await create_project_with_parts(session, admin=actor_for(admin), spec=spec,
                                            lead=workers[index % len(workers)], versions=LOAD_VERSIONS,
                                            component_leads=workers[:5])
    return (await _catalog(session, organization, workers), await _projects(session, organization),
            organization.key)


async def _catalog(session: AsyncSession, organization: Organization, workers: Sequence[User]) -> LoadCatalog:
    org = organization.id
    statuses = {status.name: status.id for status in await list_statuses(session, org)}
    types = {issue_type.name: issue_type.id for issue_type in await list_issue_types(session, org)}
    missing = [name for name in STATUS_NAMES if name not in statuses] + [n for n in TYPE_NAMES if n not in types]
    story_points = find_definition(await list_field_definitions(session, org), "story_points")
    if missing or story_points is None:
        raise InvalidInput(f"Organization {organization.key} lacks the default statuses, issue types or "
                           f"Story Points field the loader writes ({', '.join(missing) or 'story_points'}).")
    workflow = await resolve_workflow(session, org, None, None)
    return LoadCatalog(
        organization_id=org, workflow_id=workflow.id, statuses=statuses, types=types,
        resolutions={resolution.name: resolution.id for resolution in await list_resolutions(session, org)},
        priority_ids=tuple(priority.id for priority in await list_priorities(session, org)),
        story_points_field_id=story_points.id, user_ids=tuple(user.id for user in workers),
        user_names={user.id: user.display_name for user in workers})


async def _projects(session: AsyncSession, organization: Organization) -> list[LoadProject]:
    areas = {spec.key: spec.area for spec in LOAD_PROJECTS}
    rows = (await session.scalars(select(Project).where(
        Project.organization_id == organization.id, Project.archived.is_(False)).order_by(Project.id))).all()
    parts: dict[int, dict[str, list[int]]] = {row.id: {"components": [], "versions": []} for row in rows}
    for model, kind in ((Component, "components"), (Version, "versions")):
        for part_id, project_id in (await session.execute(select(model.id, model.project_id).where(
                model.organization_id == organization.id).order_by(model.id))).all():
            if project_id in parts:
                parts[project_id][kind].append(part_id)
    return [LoadProject(id=row.id, key=row.key, area=areas.get(row.key, "web"),
                        component_ids=tuple(parts[row.id]["components"]),
                        version_ids=tuple(parts[row.id]["versions"])) for row in rows]


async def _reserve_numbers(session: AsyncSession, organization_id: int, projects: Sequence[LoadProject]
                           ) -> list[int]:
    """Advance each project's issue counter by its share of the batch; the numbers, in draft order."""
    following: dict[int, int] = {}
    for project_id, count in sorted(Counter(project.id for project in projects).items()):
        last = await session.scalar(update(Project).where(
            Project.organization_id == organization_id, Project.id == project_id)
            .values(issue_counter=Project.issue_counter + count).returning(Project.issue_counter))
        assert last is not None
        following[project_id] = last - count + 1
    numbers = []
    for project in projects:
        numbers.append(following[project.id])
        following[project.id] += 1
    return numbers
