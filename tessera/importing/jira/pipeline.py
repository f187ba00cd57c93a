"""`tessera import jira`: survey the source, map its names, create the catalog, then write the
issues in chunks through the database's bulk path (COPY on PostgreSQL, executemany on SQLite),
one transaction per chunk, and finally the links and parents, which may point forward in the
stream.

Every chunk records what it brought in (tessera.importing.models.ImportMapping, keyed by the
Jira site and id, with a fingerprint of the issue) in its own transaction: that record is the
checkpoint. A run killed mid-way resumes by skipping the issues whose record committed;
importing again skips what is unchanged and updates what changed, through the ordinary
(trigger-maintained) path, so nothing is duplicated."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.engine import Database
from tessera.db.insert_ignoring import insert_ignoring
from tessera.demo.rows import span_rows
from tessera.demo.table_writers import TableWriter, table_writer
from tessera.importing.jira.bodies import Bodies
from tessera.importing.jira.catalog import Catalog, existing_names, planned_counts, prepare_catalog
from tessera.importing.jira.mapping import default_mapping, load_mapping, merge_mapping, save_mapping
from tessera.importing.jira.rows import (
    COMMENT_COLUMNS,
    ESTIMATES,
    MAPPING_COLUMNS,
    MARK_COLUMNS,
    VALUE_COLUMNS,
    WORKLOG_COLUMNS,
    ImportBatch,
    Relations,
    RowBuilder,
    Skip,
)
from tessera.importing.jira.sources import SourceIssue
from tessera.importing.jira.survey import SiteFacts, Survey, sprints_of, survey
from tessera.importing.models import ImportMapping
from tessera.issues.comments.models import Comment
from tessera.issues.history import FieldChange, record_changes
from tessera.issues.models import (
    CustomFieldValue,
    Issue,
    IssueComponent,
    IssueLabel,
    IssueLink,
    IssueVersion,
)
from tessera.projects.models import Project
from tessera.tenancy.service import load_organization_by_key

CHUNK = 2_000  # issues per transaction; TESSERA_IMPORT_CHUNK changes it (tests make it small to kill mid-run)
LINK_CHUNK = 5_000
SPAN_FIELDS = ("status_id", "priority_id", "resolution_id", "assignee_id", "reporter_id")
HISTORY_FIELD = {"status_id": "status", "priority_id": "priority", "resolution_id": "resolution",
                 "assignee_id": "assignee", "reporter_id": "reporter"}


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, done: int, counts: Counter) -> None: ...
    def note(self, message: str) -> None: ...


class Quiet:
    def start(self, total: int) -> None:
        pass

    def advance(self, done: int, counts: Counter) -> None:
        pass

    def note(self, message: str) -> None:
        pass


@dataclass
class ImportReport:
    organization_key: str
    site: str
    dry_run: bool
    issues_seen: int = 0
    outcomes: Counter = field(default_factory=Counter)  # created / updated / unchanged / skipped
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> issue keys
    planned: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (create, reuse)
    created: dict[str, int] = field(default_factory=dict)
    comments: int = 0
    worklogs: int = 0
    histories: int = 0
    links: int = 0
    parents: int = 0
    attachments: int = 0
    notes: list[str] = field(default_factory=list)  # what did not come along, and why
    seconds: float = 0.0
    mapping: dict[str, Any] = field(default_factory=dict)

    def skip(self, reason: str, key: str) -> None:
        self.outcomes["skipped"] += 1
        self.skipped.setdefault(reason, []).append(key)

    def as_dict(self) -> dict[str, Any]:
        return {"organization": self.organization_key, "site": self.site, "dry_run": self.dry_run,
                "issues_seen": self.issues_seen, **{k: self.outcomes.get(k, 0) for k in
                                                    ("created", "updated", "unchanged", "skipped")},
                "skipped_reasons": {reason: {"count": len(keys), "examples": keys[:5]}
                                    for reason, keys in self.skipped.items()},
                "planned": {kind: {"create": new, "reuse": reuse} for kind, (new, reuse) in self.planned.items()},
                "catalog_created": self.created, "comments": self.comments, "worklogs": self.worklogs,
                "histories": self.histories, "links": self.links, "parents": self.parents, "attachments": self.attachments, "notes": self.notes,
                "seconds": round(self.seconds, 2)}


def fingerprint(issue: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(issue, separators=(",", ":"), ensure_ascii=False,
                                     default=str).encode()).hexdigest()


async def import_jira(database: Database, *, org_key: str, source: Callable[[], Iterator[SourceIssue]],
                      project_documents: dict[str, dict[str, Any]] | None = None, mapping_file: str | None = None,
                      dry_run: bool = False, project_keys: Sequence[str] = (),
                      progress: Progress | None = None, text_format: str = "wiki",
                      site_facts: SiteFacts | None = None,
                      skipped: dict[str, list[str]] | None = None, attachments_follow: bool = False,
                      site: str | None = None) -> ImportReport:
    """Import the issues `source()` yields (it is called twice: a survey, then the import) into
    the organization `org_key`. A dry run writes nothing but the mapping file.

    `text_format` is how the source writes rich text (tessera.importing.jira.bodies);
    `site_facts` what a live source says of its catalog; `skipped` what the source already passed over, for the report;
    `attachments_follow` that the caller imports the attachments next (tessera.importing.jira.attachments);
    `site` what the import records things under when no issue of the source names its site (an
    incremental pull in which nothing changed)."""
    started = time.perf_counter()
    show = progress or Quiet()
    wanted = {key.strip().upper() for key in project_keys}

    def issues() -> Iterator[SourceIssue]:
        for item in source():
            if not wanted or _project_key(item.issue) in wanted:
                yield item

    found = survey((item.issue for item in issues()),
                   {k: v for k, v in (project_documents or {}).items() if not wanted or k in wanted})
    if site_facts is not None:
        site_facts.apply(found)
    if found.site == "export" and site:
        found.site = site
    show.note(f"surveyed {found.issues:,} issues in {len(found.projects)} projects "
              f"({time.perf_counter() - started:.1f}s)")
    async with database.unit_of_work(write=not dry_run) as session:
        organization = await load_organization_by_key(session, org_key)
        existing = await existing_names(session, organization.id)
        project_rows = (await session.scalars(select(Project.key).where(
            Project.organization_id == organization.id))).all()
        edited = load_mapping(mapping_file) if mapping_file and not dry_run else None
        mapping = merge_mapping(default_mapping(found, existing), edited)
        report = ImportReport(organization_key=organization.key, site=mapping["site"], dry_run=dry_run,
                              issues_seen=found.issues, mapping=mapping)
        for reason, what in (skipped or {}).items():
            report.skipped.setdefault(reason, []).extend(what)
        report.planned = planned_counts(found, mapping, existing, set(project_rows))
        imported = set((await session.scalars(select(ImportMapping.external_id).where(
            ImportMapping.organization_id == organization.id, ImportMapping.site == mapping["site"],
            ImportMapping.kind == "issue"))).all()) & found.issue_ids
        report.planned["issues"] = (len(found.issue_ids) - len(imported), len(imported))
        _notes(report, found, attachments_follow)
        if dry_run:
            if mapping_file:
                save_mapping(mapping, mapping_file)
            report.seconds = time.perf_counter() - started
            return report
        catalog = await prepare_catalog(session, organization=organization, found=found, mapping=mapping)
        for key, project in found.projects.items():
            await session.execute(update(Project).where(
                Project.organization_id == organization.id, Project.id == catalog.projects[key].id,
                Project.issue_counter < project.max_number).values(issue_counter=project.max_number))
    report.created = {kind: count for kind, count in catalog.created.items() if count}
    show.note(f"catalog ready ({time.perf_counter() - started:.1f}s)")
    await _import_issues(database, catalog, issues(), found, report, show, text_format)
    report.seconds = time.perf_counter() - started
    return report


def _project_key(issue: dict[str, Any]) -> str:
    return str((issue["fields"].get("project") or {}).get("key") or issue["key"].rsplit("-", 1)[0]).upper()


def _notes(report: ImportReport, found: Survey, attachments_follow: bool) -> None:
    if found.attachments and not attachments_follow:
        report.notes.append(f"{found.attachments:,} attachments not imported: an export carries their names, "
                            "not their files (--attachments-from URL downloads them from the site).")
    skipped_fields = [entry["name"] for entry in report.mapping["custom_fields"].values() if entry.get("skip")]
    if skipped_fields:
        report.notes.append(f"custom fields not imported (Jira's own machinery, or values Tessera does not hold, "
                            f"or skipped in the mapping): {', '.join(sorted(set(skipped_fields)))}.")


@dataclass
class _Known:
    """What the organization holds already: imported issues (Jira id -> (id, fingerprint)),
    comments and histories by Jira id, and every issue key."""

    issues: dict[str, tuple[int, str | None]]
    comments: dict[str, int]
    histories: set[str]
    keys: dict[str, int]


async def _known(database: Database, catalog: Catalog) -> _Known:
    org, site = catalog.organization_id, catalog.site
    async with database.unit_of_work(write=False) as session:
        rows = (await session.execute(select(ImportMapping.kind, ImportMapping.external_id, ImportMapping.local_id,
                                             ImportMapping.fingerprint).where(
            ImportMapping.organization_id == org, ImportMapping.site == site,
            ImportMapping.kind.in_(("issue", "comment", "history"))))).all()
        keys = dict((await session.execute(select(Issue.key, Issue.id).where(Issue.organization_id == org))).all())
    known = _Known(issues={}, comments={}, histories=set(), keys=keys)
    for kind, external, local, print_ in rows:
        if kind == "issue":
            known.issues[external] = (local, print_)
        elif kind == "comment":
            known.comments[external] = local
        else:
            known.histories.add(external)
    return known


def _chunks(items: Iterable[SourceIssue], size: int) -> Iterator[list[SourceIssue]]:
    chunk: list[SourceIssue] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def _import_issues(database: Database, catalog: Catalog, issues: Iterator[SourceIssue], found: Survey,
                         report: ImportReport, show: Progress, text_format: str = "wiki") -> None:
    writer = table_writer(database, show.note)
    stamp = _stamper(database)
    aliases = {alias: seen.identity for seen in found.users.values() for alias in seen.aliases}
    builder = RowBuilder(catalog, stamp, bodies=Bodies(text_format, catalog.users, aliases=aliases))
    known = await _known(database, catalog)
    relations: list[Relations] = []
    show.start(found.issues)
    done = 0
    for chunk in _chunks(issues, int(os.environ.get("TESSERA_IMPORT_CHUNK") or CHUNK)):
        new: list[tuple[dict[str, Any], dict[str, Any], str]] = []
        changed: list[tuple[dict[str, Any], dict[str, Any], str, int]] = []
        taken_in_chunk: set[str] = set()
        ids_in_chunk: set[str] = set()
        for item in chunk:
            issue = item.issue
            external = str(issue.get("id") or issue["key"])
            if external in ids_in_chunk:  # a later chunk would update it; in one chunk the first stands
                report.skip("the same issue appears twice in the source (the first is imported)", issue["key"])
                continue
            ids_in_chunk.add(external)
            print_ = fingerprint(issue)
            mapped = known.issues.get(external)
            if mapped is not None and mapped[1] == print_:
                report.outcomes["unchanged"] += 1
                relations.append(builder.relations(issue))
                continue
            try:
                core = builder.core(issue)
            except Skip as reason:
                report.skip(str(reason), issue["key"])
                continue
            relations.append(builder.relations(issue))
            if mapped is not None:
                changed.append((issue, core, print_, mapped[0]))
                continue
            if core["key"] in known.keys or core["key"] in taken_in_chunk:
                report.skip("its key belongs to an issue not from this import", issue["key"])
                continue
            taken_in_chunk.add(core["key"])
            new.append((issue, core, print_))
        if new:
            ids = await _write_new(database, writer, builder, catalog, new)
            for (issue, core, print_), issue_id in zip(new, ids, strict=True):
                known.keys[core["key"]] = issue_id
                known.issues[str(issue.get("id") or issue["key"])] = (issue_id, print_)
            report.outcomes["created"] += len(new)
        if changed:
            await _write_changed(database, builder, catalog, known, changed)
            report.outcomes["updated"] += len(changed)
        done += len(chunk)
        show.advance(done, report.outcomes)
    report.comments, report.worklogs = builder.counts.comments, builder.counts.worklogs
    report.histories = builder.counts.histories
    show.note(f"issues written; linking ({len(relations):,} issues' links and parents)")
    await _relate(database, catalog, relations, known, report)
    show.note("statistics of the tables just filled")
    async with database.unit_of_work() as session:
        await writer.finish(session)


def _stamper(database: Database) -> Callable[[datetime], object]:
    if database.is_sqlite:  # the storage format SQLAlchemy's SQLite DateTime writes and reads back
        return lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return lambda moment: moment


async def _write_new(database: Database, writer: TableWriter, builder: RowBuilder, catalog: Catalog,
                     new: list[tuple[dict[str, Any], dict[str, Any], str]]) -> list[int]:
    """One transaction: the new issues of a chunk and everything hanging off them, and their
    import records (the checkpoint)."""
    org = catalog.organization_id
    histories = sum(len((issue.get("changelog") or {}).get("histories") or [])  # and the sprints' (rows.py)
                    + len(sprints_of(issue["fields"], issue.get("names"))) for issue, _, _ in new)
    comments = sum(len((issue["fields"].get("comment") or {}).get("comments") or []) for issue, _, _ in new)
    async with database.unit_of_work() as session:
        await writer.prepare(session)
        await writer.before_issue_batch(session)
        issue_ids = list(await writer.allocate_ids(session, "issues", len(new)))
        group_ids = iter(await writer.allocate_ids(session, "change_groups", histories))
        comment_ids = iter(await writer.allocate_ids(session, "comments", comments))
        batch = ImportBatch()
        for (issue, core, print_), issue_id in zip(new, issue_ids, strict=True):
            builder.add_new(batch, issue, core, issue_id, lambda: next(group_ids), lambda: next(comment_ids), print_)
        if writer.writes_spans:  # the triggers are off: the history's spans go in as rows
            batch.spans = span_rows(batch)
        await writer.write(session, batch)
        if batch.estimates:
            table = Issue.__table__
            await session.execute(update(table).where(table.c.organization_id == org,
                                                      table.c.id == bindparam("issue")).values(
                **{name: bindparam(name) for name in ESTIMATES}), batch.estimates)
        for table, columns, rows in (("custom_field_values", VALUE_COLUMNS, batch.custom_values),
                                     ("comments", COMMENT_COLUMNS, batch.comments),
                                     ("worklogs", WORKLOG_COLUMNS, batch.worklogs),
                                     ("issue_watchers", MARK_COLUMNS, batch.watchers),
                                     ("issue_votes", MARK_COLUMNS, batch.votes),
                                     ("import_mappings", MAPPING_COLUMNS, batch.mappings)):
            if rows:
                await writer.write_rows(session, table, columns, rows)
        await writer.after_batch(session, org, issue_ids)
    return issue_ids


async def _write_changed(database: Database, builder: RowBuilder, catalog: Catalog, known: _Known,
                         changed: list[tuple[dict[str, Any], dict[str, Any], str, int]]) -> None:
    """Issues imported before whose Jira side changed, through the ordinary path (the span
    triggers keep WAS true): new histories added, the fields and parts rewritten, new comments
    added and edited ones rewritten. A field that changed without a changelog entry (an export
    without histories) gets one, at Jira's `updated` time, so the history still explains the issue."""
    org, site = catalog.organization_id, catalog.site
    typed = builder.with_datetimes()
    async with database.unit_of_work() as session:
        for issue, core, print_, issue_id in changed:
            await _update_one(session, typed, catalog, known, issue, core, issue_id)
            await session.execute(update(ImportMapping).where(
                ImportMapping.organization_id == org, ImportMapping.site == site, ImportMapping.kind == "issue",
                ImportMapping.local_id == issue_id).values(fingerprint=print_))
            known.issues[str(issue.get("id") or issue["key"])] = (issue_id, print_)


async def _update_one(session: AsyncSession, builder: RowBuilder, catalog: Catalog, known: _Known,
                      issue: dict[str, Any], core: dict[str, Any], issue_id: int) -> None:
    org, site = catalog.organization_id, catalog.site
    current = (await session.execute(select(Issue).where(Issue.organization_id == org,
                                                         Issue.id == issue_id))).scalar_one()
    batch = ImportBatch()
    group_ids: list[int] = []

    def next_group() -> int:
        group_ids.append(len(group_ids))
        return len(group_ids) - 1

    written = builder.history_rows(batch, issue, core, issue_id, next_group, known=known.histories)
    touched = {item[4] for item in batch.items}
    for index in range(written):
        group = batch.groups[index]
        items = [item for item in batch.items if item[1] == group[0]]
        new_group = await record_changes(session, issue=current, author_id=group[3], at=group[4], changes=[
            FieldChange(field=i[3], field_id=i[4], field_type=i[5], from_value=i[6], from_string=i[7],
                        to_value=i[8], to_string=i[9]) for i in items])
        for mapping in batch.mappings:
            if mapping[2] == "history" and mapping[4] == group[0]:
                session.add(ImportMapping(organization_id=org, site=site, kind="history", external_id=mapping[3],
                                          local_id=new_group))
                known.histories.add(mapping[3])
    unexplained = [FieldChange(HISTORY_FIELD[column], HISTORY_FIELD[column], _str(getattr(current, column)),
                               _describe(catalog, column, getattr(current, column)), _str(core[column]),
                               _describe(catalog, column, core[column]))
                   for column in SPAN_FIELDS
                   if getattr(current, column) != core[column] and HISTORY_FIELD[column] not in touched]
    if unexplained:
        await record_changes(session, issue=current, author_id=None, changes=unexplained, at=core["updated_at"])
    await session.execute(update(Issue).where(Issue.organization_id == org, Issue.id == issue_id).values(
        issue_type_id=core["issue_type_id"], summary=core["summary"], description=core["description"],
        status_id=core["status_id"], priority_id=core["priority_id"], resolution_id=core["resolution_id"],
        assignee_id=core["assignee_id"], reporter_id=core["reporter_id"], due_date=core["due_date"],
        **{name: core[name] for name in ESTIMATES},
        updated_at=core["updated_at"], resolved_at=core["resolved_at"],
        version=Issue.version + written + (1 if unexplained else 0)))
    for model in (IssueLabel, IssueComponent, IssueVersion, CustomFieldValue):
        await session.execute(delete(model).where(model.organization_id == org, model.issue_id == issue_id))
    parts = ImportBatch()
    builder.part_rows(parts, issue, core["project"], issue_id)
    for model, columns, rows in ((IssueLabel, ("organization_id", "issue_id", "label"), parts.labels),
                                 (IssueComponent, ("organization_id", "issue_id", "component_id"), parts.components),
                                 (IssueVersion, ("organization_id", "issue_id", "version_id", "kind"), parts.versions),
                                 (CustomFieldValue, VALUE_COLUMNS, parts.custom_values)):
        if rows:
            await session.execute(insert(model), [dict(zip(columns, row, strict=True)) for row in rows])
    for comment, (author, body, created, updated, _version) in builder.comments_of(issue):
        external = str(comment.get("id"))
        local = known.comments.get(external)
        if local is not None:
            await session.execute(update(Comment).where(
                Comment.organization_id == org, Comment.id == local, Comment.body != body).values(
                body=body, updated_at=updated))
            continue
        comment_id = (await session.execute(insert(Comment).values(
            organization_id=org, issue_id=issue_id, author_id=author, body=body, created_at=created,
            updated_at=updated, version=1).returning(Comment.id))).scalar_one()
        if comment.get("id") is not None:
            session.add(ImportMapping(organization_id=org, site=site, kind="comment", external_id=external,
                                      local_id=comment_id))
            known.comments[external] = comment_id
    await session.flush()


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _describe(catalog: Catalog, column: str, value: int | None) -> str | None:
    if value is None:
        return None
    if column == "status_id":
        return catalog.status_names.get(value)
    lookup: dict[str, tuple[int, str]] = {"priority_id": catalog.priorities, "resolution_id": catalog.resolutions}.get(
        column) or catalog.users
    return next((name for ref, name in lookup.values() if ref == value), str(value))


async def _relate(database: Database, catalog: Catalog, relations: list[Relations], known: _Known,
                  report: ImportReport) -> None:
    """Parents and links, once every issue of the import is in (either end may come later in the
    stream). Links are created once: the same link seen from both ends is one row, and one that
    exists already is left alone."""
    org = catalog.organization_id
    async with database.unit_of_work(write=False) as session:
        parents = dict((await session.execute(select(Issue.id, Issue.parent_id).where(
            Issue.organization_id == org))).all())
    keys = known.keys
    moves: list[dict[str, int]] = []
    links: dict[tuple[int, int, int], None] = {}
    for relation in relations:
        child = keys.get(relation.key)
        if child is None:
            continue
        if relation.parent_key:
            parent = keys.get(relation.parent_key)
            if parent is None:
                report.skipped.setdefault("parent not in Tessera (not in the import)", []).append(relation.key)
            elif parent != child and parents.get(child) != parent:
                moves.append({"child": child, "parent": parent})
        for type_id, outward, inward in relation.links:
            source, target = keys.get(outward), keys.get(inward)
            if source is None or target is None:
                report.skipped.setdefault("link to an issue not in Tessera", []).append(f"{outward} → {inward}")
            elif source != target:
                links.setdefault((type_id, source, target))
    now = datetime.now(UTC)
    async with database.unit_of_work() as session:
        if moves:
            await session.execute(update(Issue.__table__).where(
                Issue.__table__.c.organization_id == org, Issue.__table__.c.id == bindparam("child")).values(
                parent_id=bindparam("parent")), moves)
        before = await _count_links(session, org)
        rows = [{"organization_id": org, "link_type_id": type_id, "source_issue_id": source,
                 "target_issue_id": target, "created_at": now} for type_id, source, target in links]
        statement = insert_ignoring(database.dialect, IssueLink.__table__,
                                    index_elements=["organization_id", "link_type_id", "source_issue_id",
                                                    "target_issue_id"])
        for start in range(0, len(rows), LINK_CHUNK):
            await session.execute(statement, rows[start:start + LINK_CHUNK])
        report.links = await _count_links(session, org) - before
    report.parents = len(moves)


async def _count_links(session: AsyncSession, org: int) -> int:
    return int(await session.scalar(text("SELECT count(*) FROM issue_links WHERE organization_id = :org"),
                                     {"org": org}) or 0)

