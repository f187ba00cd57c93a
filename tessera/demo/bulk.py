"""Bulk loading of synthetic issues through the database's own bulk paths, for benchmarks.

The organization, its people and projects are made with the ordinary services; issues and
everything hanging off them are then written in batches: COPY (asyncpg's binary
`copy_records_to_table`) on PostgreSQL, `executemany` in one transaction per batch on SQLite.
Issue and change-group ids are allocated before the rows are built, so child rows can refer to
them. No outbox events are written: a load is not something subscribers should hear about.
"""

from __future__ import annotations

import time
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.models import IssueRank
from tessera.db.engine import Database
from tessera.demo import vocabulary as words
from tessera.demo.rows import (
    COMPONENT_COLUMNS,
    GROUP_COLUMNS,
    ISSUE_COLUMNS,
    ITEM_COLUMNS,
    LABEL_COLUMNS,
    RANK_COLUMNS,
    SPAN_COLUMNS,
    VALUE_COLUMNS,
    VERSION_COLUMNS,
    Batch,
    LoadCatalog,
    LoadProject,
    RowFactory,
    span_rows,
)
from tessera.demo.workspace import (
    ProjectSpec,
    VersionSpec,
    actor_for,
    create_project_with_parts,
    create_users,
)
from tessera.errors import InvalidInput, NotFound
from tessera.issues.models import (
    ChangeGroup,
    ChangeItem,
    CustomFieldValue,
    Issue,
    IssueComponent,
    IssueLabel,
    IssueVersion,
)
from tessera.jql import value_spans
from tessera.jql.models import IssueValueSpan
from tessera.onboarding.organizations import check_create_organization
from tessera.projects.catalog import list_issue_types, list_priorities, list_resolutions
from tessera.projects.custom_fields import find_definition, list_field_definitions
from tessera.projects.models import Component, Project, Version
from tessera.tenancy.models import Organization, User
from tessera.tenancy.service import get_organization_by_key
from tessera.workflow.catalog import list_statuses, resolve_workflow

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
    writer: _Writer = _SqliteWriter() if database.is_sqlite else _PostgresWriter(report)
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


def _table_defaults(table: Table, columns: Sequence[str]) -> tuple[tuple[str, ...], tuple[object, ...]]:
    """Columns a newer schema added that the row factory does not know: their scalar defaults, so
    the load keeps working; a required column without one is an error worth seeing."""
    names: list[str] = []
    values: list[object] = []
    for column in table.columns:
        if column.name in columns or column.nullable or column.server_default is not None or (
                column.primary_key and column.autoincrement):
            continue
        default = column.default
        if default is None or not getattr(default, "is_scalar", False):
            raise InvalidInput(f"The bulk loader does not know how to fill {table.name}.{column.name}.")
        names.append(column.name)
        values.append(default.arg)  # type: ignore[attr-defined]
    return tuple(names), tuple(values)


# Parents before children: (table, the factory's columns, the Batch attribute holding its rows).
TABLES = ((Issue.__table__, ISSUE_COLUMNS, "issues"), (IssueLabel.__table__, LABEL_COLUMNS, "labels"),
          (IssueComponent.__table__, COMPONENT_COLUMNS, "components"),
          (IssueVersion.__table__, VERSION_COLUMNS, "versions"),
          (CustomFieldValue.__table__, VALUE_COLUMNS, "values"), (ChangeGroup.__table__, GROUP_COLUMNS, "groups"),
          (ChangeItem.__table__, ITEM_COLUMNS, "items"), (IssueRank.__table__, RANK_COLUMNS, "ranks"),
          (IssueValueSpan.__table__, SPAN_COLUMNS, "spans"))


def table_writer(database: Database, progress: Callable[[str], None] | None = None) -> _Writer:
    """The bulk path of the database's backend (COPY on PostgreSQL), for other bulk writers."""
    return _SqliteWriter() if database.is_sqlite else _PostgresWriter(progress or (lambda _message: None))


class _Writer(ABC):
    def __init__(self) -> None:
        self.tables = []
        for table, columns, attribute in TABLES:
            extra_names, extra_values = _table_defaults(table, columns)
            self.tables.append((table.name, columns + extra_names, attribute, extra_values))

    @staticmethod
    @abstractmethod
    def stamp(seconds: int) -> object: ...

    async def prepare(self, session: AsyncSession) -> None:
        """Per-transaction settings for the batch about to be written."""

    @abstractmethod
    async def allocate_ids(self, session: AsyncSession, table: str, count: int) -> Sequence[int]: ...

    async def before_issue_batch(self, session: AsyncSession) -> None:
        """In a batch of new issues' transaction, before its rows are written."""

    async def after_batch(self, session: AsyncSession, organization_id: int, issue_ids: Sequence[int]) -> None:
        """In a batch of new issues' transaction, once its rows are written."""

    async def finish(self, session: AsyncSession) -> None:
        """After the last batch."""

    # Whether the batch's WAS span rows go in as rows: not when the database's triggers write
    # them during the batch, nor where the database derives them faster (SQLite, see after_batch).
    writes_spans = True

    async def write(self, session: AsyncSession, batch: Batch) -> None:
        for table, columns, attribute, extra in self.tables:
            rows = getattr(batch, attribute)
            if rows and (attribute != "spans" or self.writes_spans):
                await self.write_rows(session, table, columns, [row + extra for row in rows] if extra else rows)

    @abstractmethod
    async def write_rows(self, session: AsyncSession, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        ...


class _PostgresWriter(_Writer):
    """COPY in binary through asyncpg; ids from the tables' own sequences."""

    def __init__(self, report: Callable[[str], None]) -> None:
        super().__init__()
        self.report, self.warned = report, False

    @staticmethod
    def stamp(seconds: int) -> object:
        return datetime.fromtimestamp(seconds, UTC)

    async def prepare(self, session: AsyncSession) -> None:
        """Without durability waits and, where the role may (superuser), without foreign-key
        triggers, as `pg_restore --disable-triggers` does: they cost ten times the COPY itself, and
        every id in the rows was read from this organization or allocated for this batch."""
        await session.execute(text("SET LOCAL synchronous_commit = off"))
        try:
            async with session.begin_nested():
                await session.execute(text("SET LOCAL session_replication_role = replica"))
            self.writes_spans = True
        except DBAPIError:
            self.writes_spans = False  # the triggers write them: the batch's rows would be duplicates
            if not self.warned:
                self.warned = True
                self.report("foreign-key checks stay on (the role may not set session_replication_role): "
                            "expect a slower load")

    async def finish(self, session: AsyncSession) -> None:
        # Fresh planner statistics now, rather than whenever autovacuum notices a million new rows.
        await session.execute(text(f"ANALYZE {', '.join(table for table, *_ in self.tables)}"))

    async def allocate_ids(self, session: AsyncSession, table: str, count: int) -> Sequence[int]:
        if count == 0:
            return []
        rows = await session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
            {"table": table, "count": count})
        return [row[0] for row in rows]

    async def write_rows(self, session: AsyncSession, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(table, records=rows, columns=list(columns))


class _SqliteWriter(_Writer):
    """executemany in the unit of work's BEGIN IMMEDIATE transaction, which also makes MAX(id)+1
    a safe way to allocate ids: no other writer can run until it commits."""

    @staticmethod
    def stamp(seconds: int) -> object:
        # The storage format SQLAlchemy's SQLite DateTime type writes and reads back.
        return time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(seconds))

    async def prepare(self, session: AsyncSession) -> None:
        connection = await session.connection()
        await connection.exec_driver_sql("PRAGMA cache_size = -200000")
        await connection.exec_driver_sql("PRAGMA temp_store = MEMORY")

    writes_spans = False  # one INSERT … SELECT in SQLite beats executemany of seven rows per issue

    async def before_issue_batch(self, session: AsyncSession) -> None:
        """The span triggers go for the batch and come back before it commits (SQLite's DDL is
        transactional, and the batch holds the only write lock): no other writer ever sees them
        missing, and the batch's spans are derived in one pass in `after_batch`."""
        connection = await session.connection()
        for statement in value_spans.drop_statements("sqlite"):
            await connection.exec_driver_sql(statement)

    async def after_batch(self, session: AsyncSession, organization_id: int, issue_ids: Sequence[int]) -> None:
        connection = await session.connection()
        for statement in value_spans.trigger_statements("sqlite"):
            await connection.exec_driver_sql(statement)
        await value_spans.add_for_new_issues(connection, organization_id, min(issue_ids), max(issue_ids))

    async def allocate_ids(self, session: AsyncSession, table: str, count: int) -> Sequence[int]:
        highest = await session.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) or 0
        return range(highest + 1, highest + 1 + count)

    async def write_rows(self, session: AsyncSession, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        connection = await session.connection()
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        await connection.exec_driver_sql(statement, rows)
