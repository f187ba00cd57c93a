"""Issues as clients read them, built for many issues at once with a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import BigInteger, Row, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tessera.agile.models import Sprint
from tessera.issues.fields import IssueState
from tessera.issues.history import load_changelog
from tessera.issues.models import (
    Issue,
)
from tessera.issues.references import OrgCatalog
from tessera.issues.security import level_names as security_level_names
from tessera.issues.security import visible_issue_ids
from tessera.issues.view_queries import FACET_KINDS, facets_select, linked_select, users_select
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.workflow.models import CATEGORY_NAMES


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def user_view(user: User | UserBrief | Row | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "display_name": user.display_name, "email": user.email, "active": user.active}


def status_view(catalog: OrgCatalog, status_id: int) -> dict:
    status = catalog.status(status_id)
    return {"id": status.id, "name": status.name, "category": status.category,
            "category_name": CATEGORY_NAMES[status.category]}


_ORG = bindparam("org")


class _Reads(NamedTuple):
    """The view's reads for one dialect, each built once. By a list of ids: an expanding IN on
    SQLite, one array parameter on PostgreSQL (`= ANY(:ids)`), whose statement text is the same
    for any number of ids: an IN of a page's 1,000 ids cost more Python to render than the read
    took, and was a new prepared statement for every other length."""

    facets: dict[frozenset[str], object]
    among: Callable[[object], object]
    related: object
    linked: object
    users: object
    projects: object


@lru_cache(maxsize=4)
def _reads(dialect: str) -> _Reads:
    if dialect == "postgresql":
        ids, related_ids = bindparam("ids", type_=ARRAY(BigInteger)), bindparam("related", type_=ARRAY(BigInteger))

        def among(column):  # type: ignore[no-untyped-def]
            return column == any_(ids)

        def related_among(column):  # type: ignore[no-untyped-def]
            return column == any_(related_ids)
    else:
        ids, related_ids = bindparam("ids", expanding=True), bindparam("related", expanding=True)

        def among(column):  # type: ignore[no-untyped-def]
            return column.in_(ids)

        def related_among(column):  # type: ignore[no-untyped-def]
            return column.in_(related_ids)
    return _Reads(
        facets={FACET_KINDS: facets_select(org=_ORG, issue_among=among)}, among=among,
        # A new issue's parent (it has no sub-tasks yet): issues by id only.
        related=select(Issue.id, Issue.key, Issue.summary, Issue.status_id, Issue.issue_type_id, Issue.parent_id)
        .where(Issue.organization_id == _ORG, related_among(Issue.id)).order_by(Issue.id),
        linked=linked_select(org=_ORG, issue_among=among, related_among=related_among),
        users=users_select(org=_ORG, user_among=among),
        projects=select(Project.id, Project.key, Project.name).where(Project.organization_id == _ORG,
                                                                     among(Project.id)))


class _Value(NamedTuple):
    """A custom field value row, as the custom field view reads it."""

    issue_id: int
    field_id: int
    value_number: float | None
    value_text: str | None
    value_date: date | None
    value_ref: int | None


class UserBrief(NamedTuple):
    """A user the caller already knows (e.g. the actor), so rendering need not read it."""

    id: int
    display_name: str
    email: str
    active: bool = True


class Facets(NamedTuple):
    """Labels, components, versions and custom field values of the issues being rendered."""

    labels: dict[int, list[str]]
    components: dict[int, list[dict]]
    versions: dict[tuple[int, str], list[dict]]
    values: dict[int, list[_Value]]


def facets_of_new_issue(issue_id: int, state: IssueState) -> Facets:
    """What the facets query would read back for an issue just created from `state`, in the
    same order, so creating needs no read after its commit."""
    versions: dict[tuple[int, str], list[dict]] = {}
    for kind, ids in (("fix", state.fix_versions), ("affected", state.affected_versions)):
        if ids:
            rows = [state.version_rows[v] for v in ids]
            versions[(issue_id, kind)] = [{"id": row.id, "name": row.name, "released": bool(row.released)}
                                          for row in sorted(rows, key=lambda row: row.name)]
    values = sorted((_Value(issue_id, field_id, v.number, v.text, v.day, v.ref)
                     for field_id, field_values in state.custom.items() for v in field_values),
                    key=lambda v: (v.value_text or "", v.value_ref or 0))
    return Facets(
        labels={issue_id: sorted(state.labels)} if state.labels else {},
        components={issue_id: sorted(({"id": c, "name": state.component_rows[c].name} for c in state.components),
                                     key=lambda view: view["name"])} if state.components else {},
        versions=versions, values={issue_id: values} if values else {})


def _facets_query(kinds: frozenset[str], dialect: str):  # type: ignore[no-untyped-def]
    reads = _reads(dialect)
    query = reads.facets.get(kinds)
    if query is None:  # a few combinations at most: one statement each, built once
        query = reads.facets[kinds] = facets_select(org=_ORG, issue_among=reads.among, kinds=kinds)
    return query


async def _read_facets(connection: AsyncConnection, org: int, ids: list[int],
                       kinds: frozenset[str] = FACET_KINDS) -> Facets:
    return facets_from_rows((await connection.execute(_facets_query(kinds, connection.dialect.name),
                                                      {"org": org, "ids": ids})).all())


def facets_from_rows(rows: Sequence[Sequence]) -> Facets:
    """Facets from rows shaped as _FACETS's: (issue_id, kind, ref, ref2, text, number, day, flag)."""
    facets = Facets({}, {}, {}, {})
    # Names sort like the UI shows them; custom values keep their stored order (multi-selects).
    for issue_id, kind, ref, ref2, text, number, day, flag in sorted(rows, key=lambda r: (r[1], r[4] or "", r[3] or 0)):
        if kind == "label":
            facets.labels.setdefault(issue_id, []).append(text)
        elif kind == "component":
            facets.components.setdefault(issue_id, []).append({"id": ref, "name": text})
        elif kind == "value":
            facets.values.setdefault(issue_id, []).append(_Value(issue_id, ref, number, text, day, ref2))
        else:
            facets.versions.setdefault((issue_id, kind), []).append({"id": ref, "name": text, "released": bool(flag)})
    return facets


class _Link(NamedTuple):
    id: int
    link_type_id: int
    source_issue_id: int
    target_issue_id: int


class _Brief(NamedTuple):
    id: int
    key: str
    summary: str
    status_id: int
    issue_type_id: int
    parent_id: int | None


# The keys of an issue's view, in the order it shows them, and what each needs read beyond the
# issue's own row: a caller asking for a few (a search's `fields=summary,status`) has only
# those built, and skips the reads that no key of them needs.
VIEW_KEYS = ("id", "key", "project", "issue_type", "summary", "description", "status", "priority", "resolution",
             "assignee", "reporter", "creator", "labels", "components", "fix_versions", "affected_versions",
             "due_date", "parent", "subtasks", "links", "custom_fields", "workflow_id", "created", "updated",
             "resolved", "version", "original_estimate", "remaining_estimate", "time_spent", "security_level")
_FACET_KIND_OF = {"labels": "label", "components": "component", "fix_versions": "version",
                  "affected_versions": "version", "custom_fields": "value"}
_USER_KEYS = frozenset({"assignee", "reporter", "creator"})
# The issue's own columns each view key reads (facets, links and users are read apart, by id).
_COLUMNS_OF: dict[str, tuple[str, ...]] = {
    "project": ("project_id",), "issue_type": ("issue_type_id",), "summary": ("summary",),
    "description": ("description",), "status": ("status_id",), "priority": ("priority_id",),
    "resolution": ("resolution_id",), "assignee": ("assignee_id",), "reporter": ("reporter_id",),
    "creator": ("creator_id",), "due_date": ("due_date",), "workflow_id": ("workflow_id",),
    "created": ("created_at",), "updated": ("updated_at",), "resolved": ("resolved_at",), "version": ("version",),
    "original_estimate": ("original_estimate",), "remaining_estimate": ("remaining_estimate",),
    "time_spent": ("time_spent",), "security_level": ("security_level_id",)}
# What a page's own issues give as the other end of a parent, sub-task or link.
_BRIEF_COLUMNS = ("key", "summary", "status_id", "issue_type_id", "parent_id")


def row_columns(only: Collection[str] | None) -> list:
    """The issue columns render_issues reads for the view keys `only` (None: all keys), for a
    caller that reads the issues as rows: a page of 1,000 issues asked for six fields need not
    carry every description and timestamp over the wire and through the driver."""
    if only is None:
        return list(Issue.__table__.c)
    names = {"id", "key"} | {name for key in only for name in _COLUMNS_OF.get(key, ())}
    if set(only) & {"parent", "subtasks", "links"}:
        names |= set(_BRIEF_COLUMNS)
    return [column for column in Issue.__table__.c if column.name in names]


async def render_issues(session: AsyncSession | None, *, organization_id: int, issues: Sequence[Issue],
                        catalog: OrgCatalog, expand: frozenset[str] = frozenset(),
                        projects: dict[int, Project] | None = None, fresh: bool = False,
                        known_users: Sequence[UserBrief] = (), facets: Facets | None = None,
                        linked: Sequence[Sequence] | None = None,
                        only: Collection[str] | None = None, viewer: Actor | None) -> list[dict]:
    """A fixed number of queries whatever the number of issues (about six); none at all for a
    fresh issue whose facets, users and project the caller already has (then `session` may be None),
    nor for issues whose facets and `linked` rows (shaped as _LINKED's: links, sub-tasks, the
    parent and the other ends of links) the caller read already.

    `issues`: ORM issues or rows with the same attributes (a search page reads rows). `only`: the
    view keys to build (VIEW_KEYS; `id` and `key` always), None for all of them; reads that none
    of them needs are not made. `viewer`: who reads the views; the parent, sub-tasks and linked
    issues they may not see by issue security are left out (tessera.issues.security). Required,
    so that no caller forgets it; None only where no person reads the result."""
    if not issues:
        return []
    wanted = frozenset(VIEW_KEYS) if only is None else frozenset(only) | {"id", "key"}
    ids = [issue.id for issue in issues]
    org = organization_id
    connection: AsyncConnection | None = None

    async def connect() -> AsyncConnection:
        # Core connection: these reads need no identity map, and skipping the ORM halves their cost.
        nonlocal connection
        if connection is None:
            assert session is not None, "rendering needs a session for what the caller did not provide"
            connection = await session.connection()
        return connection

    async def reads() -> _Reads:
        return _reads((await connect()).dialect.name)

    if facets is None:
        kinds = frozenset(kind for key, kind in _FACET_KIND_OF.items() if key in wanted)
        facets = await _read_facets(await connect(), org, ids, kinds) if kinds else Facets({}, {}, {}, {})
    labels, components, versions, values = facets
    id_set = set(ids)
    parent_ids = list({issue.parent_id for issue in issues if issue.parent_id} - id_set) \
        if "parent" in wanted else []
    links: list[_Link] = []
    read: list[_Brief] = []
    if not fresh and wanted & {"subtasks", "links"}:
        if linked is None:
            linked = (await (await connect()).execute(
                (await reads()).linked, {"org": org, "ids": ids, "related": parent_ids})).all()
        for kind, row_id, a, b, c, key, summary in linked:
            if kind == "link":
                links.append(_Link(row_id, a, b, c))
            else:
                read.append(_Brief(row_id, key, summary, a, b, c))
        links.sort(key=lambda link: link.id)
    elif parent_ids:  # no links nor sub-tasks to show (or a brand-new issue): only the parents need reading
        read = [_Brief(*row) for row in await (await connect()).execute(
            (await reads()).related, {"org": org, "related": parent_ids})]
    if viewer is not None and read and session is not None:
        visible = await visible_issue_ids(session, viewer, {row.id for row in read})
        read = [row for row in read if row.id in visible]
    related: dict[int, _Brief] = {i.id: _Brief(i.id, i.key, i.summary, i.status_id, i.issue_type_id, i.parent_id)
                                  for i in issues} if wanted & {"parent", "subtasks", "links"} else {}
    subtasks: list[_Brief] = []
    seen: set[int] = set()
    for brief_row in sorted(read, key=lambda row: row.id):
        if brief_row.id in seen:  # read twice: a sub-task that is also linked, say
            continue
        seen.add(brief_row.id)
        related.setdefault(brief_row.id, brief_row)
        if brief_row.parent_id in id_set:
            subtasks.append(brief_row)
    user_columns = [f"{key}_id" for key in ("assignee", "reporter", "creator") if key in wanted]
    user_ids = {uid for issue in issues for column in user_columns if (uid := getattr(issue, column))}
    user_ids |= {v.value_ref for vs in values.values() for v in vs
                 if v.value_ref and catalog.field(v.field_id).field_type == "user"}
    changelogs = {}
    if "changelog" in expand:
        assert session is not None
        changelogs = await load_changelog(session, organization_id=org, issue_ids=ids)
    user_ids |= {h["author_id"] for hs in changelogs.values() for h in hs if h["author_id"]}
    users: dict[int, UserBrief | Row] = {user.id: user for user in known_users if user.id in user_ids}
    if user_ids - set(users):
        users.update({row.id: row for row in await (await connect()).execute(
            (await reads()).users, {"org": org, "ids": list(user_ids - set(users))})})
    wanted_projects = {issue.project_id for issue in issues} if "project" in wanted else set()
    if wanted_projects and (projects is None or not wanted_projects <= set(projects)):
        projects = {row.id: row for row in await (await connect()).execute(
            (await reads()).projects, {"org": org, "ids": list(wanted_projects)})}
    sprint_ids = {v.value_ref for vs in values.values() for v in vs
                  if v.value_ref and catalog.field(v.field_id).field_type == "sprint"}
    sprints = {s.id: s for s in (await (await connect()).execute(select(Sprint.id, Sprint.name, Sprint.state).where(
        Sprint.organization_id == org, Sprint.id.in_(sprint_ids)))).all()} if sprint_ids else {}
    level_ids = {issue.security_level_id for issue in issues if issue.security_level_id is not None} \
        if "security_level" in wanted else set()
    level_names = await security_level_names(session, org, level_ids) if level_ids and session is not None else {}
    link_types = {lt.id: lt for lt in catalog.link_types}
    # Catalog entries and people repeat across a page: each one's view is built once (copied per
    # issue, so that no two issues share a dict a caller might change).
    statuses: dict[int, dict] = {}
    issue_types: dict[int, tuple[str, bool]] = {}

    def status_of(status_id: int) -> dict:
        view = statuses.get(status_id)
        if view is None:
            view = statuses[status_id] = status_view(catalog, status_id)
        return view.copy()

    priorities: dict[int, dict] = {}
    people: dict[int, dict | None] = {}

    def priority_of(priority_id: int) -> dict:
        view = priorities.get(priority_id)
        if view is None:
            view = priorities[priority_id] = {"id": priority_id, "name": catalog.priority(priority_id).name}
        return view.copy()

    def person(user_id: int | None) -> dict | None:
        if user_id not in people:
            people[user_id] = user_view(users.get(user_id or 0))  # type: ignore[index]
        view = people[user_id]  # type: ignore[index]
        return None if view is None else view.copy()

    def issue_type_of(type_id: int) -> tuple[str, bool]:
        known = issue_types.get(type_id)
        if known is None:
            issue_type = catalog.issue_type(type_id)
            known = issue_types[type_id] = (issue_type.name, issue_type.subtask)
        return known

    def brief(issue: Issue | _Brief) -> dict:
        return {"id": issue.id, "key": issue.key, "summary": issue.summary, "status": status_of(issue.status_id),
                "issue_type": {"id": issue.issue_type_id, "name": issue_type_of(issue.issue_type_id)[0]}}

    def custom_view(issue_values: list[_Value]) -> dict:
        of_field: dict[int, list[_Value]] = {}
        for value in issue_values:
            of_field.setdefault(value.field_id, []).append(value)
        shown: dict[str, object] = {}
        for definition in catalog.fields:
            field_values = of_field.get(definition.id)
            kind = definition.field_type
            if not field_values:
                shown[definition.key] = [] if kind == "multi_select" else None
                continue
            first = field_values[0]
            if kind == "number":
                number = first.value_number
                shown[definition.key] = int(number) if number is not None and number.is_integer() else number
            elif kind == "text":
                shown[definition.key] = first.value_text
            elif kind == "date":
                shown[definition.key] = first.value_date.isoformat() if first.value_date else None
            elif kind == "select":
                shown[definition.key] = {"id": first.value_ref, "value": catalog.option_value(first.value_ref)}
            elif kind == "multi_select":
                shown[definition.key] = [{"id": v.value_ref, "value": catalog.option_value(v.value_ref)}
                                         for v in field_values]
            elif kind == "user":
                shown[definition.key] = user_view(users.get(first.value_ref or 0))
            elif kind == "sprint":
                sprint = sprints.get(first.value_ref or 0)
                shown[definition.key] = ({"id": sprint.id, "name": sprint.name, "state": sprint.state}
                                         if sprint else None)
        return shown

    # Each issue's links (in link order) and sub-tasks, grouped once: a page of 1,000 issues
    # would otherwise test every link and sub-task of the page for each of its issues.
    links_of: dict[int, list[tuple[_Link, str, _Brief]]] = {}
    for link in links:
        if link.source_issue_id in id_set and link.target_issue_id in related:
            links_of.setdefault(link.source_issue_id, []).append((link, "outward", related[link.target_issue_id]))
        if link.target_issue_id in id_set and link.source_issue_id in related and (
                link.target_issue_id != link.source_issue_id):  # a link to itself shows once, outward
            links_of.setdefault(link.target_issue_id, []).append((link, "inward", related[link.source_issue_id]))
    subtasks_of: dict[int, list[_Brief]] = {}
    for subtask in subtasks:
        subtasks_of.setdefault(subtask.parent_id, []).append(subtask)

    def links_view(issue: Issue) -> list[dict]:
        shown = []
        for link, direction, other in links_of.get(issue.id, ()):
            link_type = link_types[link.link_type_id]
            shown.append({"id": link.id, "type": {"id": link_type.id, "name": link_type.name,
                                                  "outward": link_type.outward, "inward": link_type.inward},
                          "direction": direction,
                          "relation": link_type.outward if direction == "outward" else link_type.inward,
                          "issue": brief(other)})
        return shown

    def project_view(issue: Issue) -> dict:
        project = projects[issue.project_id]  # type: ignore[index]
        return {"id": project.id, "key": project.key, "name": project.name}

    def issue_type_view(issue: Issue) -> dict:
        name, subtask = issue_type_of(issue.issue_type_id)
        return {"id": issue.issue_type_id, "name": name, "subtask": subtask}

    def resolution_view(issue: Issue) -> dict | None:
        resolution = catalog.resolution(issue.resolution_id)
        return {"id": resolution.id, "name": resolution.name} if resolution else None

    build: dict[str, Callable[[Issue], object]] = {
        "id": lambda issue: issue.id, "key": lambda issue: issue.key, "project": project_view,
        "issue_type": issue_type_view, "summary": lambda issue: issue.summary,
        "description": lambda issue: issue.description, "status": lambda issue: status_of(issue.status_id),
        "priority": lambda issue: priority_of(issue.priority_id),
        "resolution": resolution_view,
        "assignee": lambda issue: person(issue.assignee_id),
        "reporter": lambda issue: person(issue.reporter_id),
        "creator": lambda issue: person(issue.creator_id),
        "labels": lambda issue: labels.get(issue.id, []),
        "components": lambda issue: components.get(issue.id, []),
        "fix_versions": lambda issue: versions.get((issue.id, "fix"), []),
        "affected_versions": lambda issue: versions.get((issue.id, "affected"), []),
        "due_date": lambda issue: issue.due_date.isoformat() if issue.due_date else None,
        "parent": lambda issue: brief(related[issue.parent_id]) if issue.parent_id in related else None,
        "subtasks": lambda issue: [brief(s) for s in subtasks_of.get(issue.id, ())],
        "links": links_view,
        "custom_fields": lambda issue: custom_view(values.get(issue.id, [])),
        "workflow_id": lambda issue: issue.workflow_id,
        "created": lambda issue: iso(issue.created_at), "updated": lambda issue: iso(issue.updated_at),
        "resolved": lambda issue: iso(issue.resolved_at), "version": lambda issue: issue.version,
        "original_estimate": lambda issue: issue.original_estimate,
        "remaining_estimate": lambda issue: issue.remaining_estimate, "time_spent": lambda issue: issue.time_spent,
        "security_level": lambda issue: {"id": issue.security_level_id,
                                         "name": level_names.get(issue.security_level_id)}
        if issue.security_level_id is not None else None,
    }
    builders = [(key, build[key]) for key in VIEW_KEYS if key in wanted]
    rendered = []
    for issue in issues:
        view = {key: make(issue) for key, make in builders}
        if "changelog" in expand:
            view["changelog"] = [{**h, "created": iso(h["created"]), "author": user_view(users.get(h["author_id"] or 0))}
                                 for h in changelogs.get(issue.id, [])]
        rendered.append(view)
    return rendered
