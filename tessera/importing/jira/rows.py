"""One Jira issue as Tessera rows: the issue, its labels, components, versions, custom field
values, comments, worklogs, watchers and votes, and its changelog as change groups and items
whose values are Tessera's ids (as Tessera's own edits write them), so WAS and CHANGED read an
imported history exactly as a history made here.

Rows are plain tuples in the column orders below (tessera.demo.rows for the tables the bulk
loader shares); timestamps go through `stamp`, which gives each database's driver what it takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tessera.demo.rows import Batch
from tessera.importing.jira.bodies import Bodies
from tessera.importing.jira.catalog import Catalog, ProjectTarget
from tessera.importing.jira.survey import issue_number, sprints_of
from tessera.importing.jira.values import parse_day, parse_time, user_identity
from tessera.issues.models import DESCRIPTION_MAX, LABEL_MAX, SUMMARY_MAX
from tessera.issues.ranks import tail_rank

VALUE_COLUMNS = ("organization_id", "issue_id", "field_id", "value_number", "value_text", "value_date", "value_ref")
COMMENT_COLUMNS = ("id", "organization_id", "issue_id", "author_id", "body", "created_at", "updated_at", "version")
WORKLOG_COLUMNS = ("organization_id", "issue_id", "author_id", "update_author_id", "started_at",
                   "time_spent_seconds", "comment", "created_at", "updated_at")
MARK_COLUMNS = ("organization_id", "issue_id", "user_id", "created_at")
MAPPING_COLUMNS = ("organization_id", "site", "kind", "external_id", "local_id", "fingerprint")
# Jira Server's changelog names some fields only by their display name.
FIELD_IDS = {"fix version": "fixVersions", "component": "components", "version": "versions", "status": "status",
             "assignee": "assignee", "reporter": "reporter", "priority": "priority", "resolution": "resolution",
             "issuetype": "issuetype", "labels": "labels", "summary": "summary", "description": "description"}
TEXT_MAX = 32_767
ESTIMATES = ("original_estimate", "remaining_estimate", "time_spent")


class Skip(Exception):
    """An issue that cannot come in, with the reason the report gives."""


@dataclass
class ImportBatch(Batch):
    """A chunk's rows: the bulk loader's tables plus the importer's own."""

    custom_values: list[tuple] = field(default_factory=list)
    comments: list[tuple] = field(default_factory=list)
    worklogs: list[tuple] = field(default_factory=list)
    watchers: list[tuple] = field(default_factory=list)
    votes: list[tuple] = field(default_factory=list)
    mappings: list[tuple] = field(default_factory=list)
    estimates: list[dict] = field(default_factory=list)  # time tracking, for the few issues that have it


@dataclass(frozen=True)
class Relations:
    """What one issue says about others, resolved once every issue is in: (type id, outward key,
    inward key) links and its parent's key."""

    key: str
    parent_key: str | None
    links: list[tuple[int, str, str]]


@dataclass
class Counts:
    comments: int = 0
    worklogs: int = 0
    histories: int = 0


class RowBuilder:
    def __init__(self, catalog: Catalog, stamp: Callable[[datetime], object], counts: Counts | None = None,
                 bodies: Bodies | None = None) -> None:
        self.catalog, self.stamp = catalog, stamp
        self.counts = counts or Counts()
        self.bodies = bodies or Bodies(users=catalog.users)

    def with_datetimes(self) -> RowBuilder:
        """A builder for rows that go through SQLAlchemy's types (which take datetimes), counting
        into the same counts."""
        return RowBuilder(self.catalog, lambda moment: moment, self.counts, self.bodies)

    def user_id(self, user: object) -> int | None:
        identity = user_identity(user)
        return self.catalog.users[identity][0] if identity in self.catalog.users else None

    def project_of(self, issue: dict[str, Any]) -> ProjectTarget:
        raw = issue["fields"].get("project") or {}
        key = str(raw.get("key") or issue["key"].rsplit("-", 1)[0]).upper()
        return self.catalog.projects[key]

    def core(self, issue: dict[str, Any]) -> dict[str, Any]:
        """The issue's own columns (without ids and history counts), checked."""
        catalog, fields = self.catalog, issue["fields"]
        number = issue_number(issue["key"])
        if number is None:
            raise Skip(f"key {issue['key']} has no number")
        project = self.project_of(issue)
        type_name = (fields.get("issuetype") or {}).get("name")
        if type_name not in catalog.issue_types:
            raise Skip("no issue type")
        status_name = (fields.get("status") or {}).get("name")
        if status_name not in catalog.statuses:
            raise Skip("no status")
        created = parse_time(fields.get("created"))
        if created is None:
            raise Skip("no creation time")
        priority = catalog.priorities.get((fields.get("priority") or {}).get("name"))
        resolution = catalog.resolutions.get((fields.get("resolution") or {}).get("name"))
        resolved = parse_time(fields.get("resolutiondate")) if resolution else None
        updated = parse_time(fields.get("updated")) or created
        summary = clean(fields.get("summary") or issue["key"]).replace("\n", " ").strip()[:SUMMARY_MAX] or issue["key"]
        return {
            "project": project, "number": number, "key": f"{project.key}-{number}",
            "issue_type_id": catalog.issue_types[type_name], "summary": summary,
            "description": self.bodies.markdown(fields.get("description"))[:DESCRIPTION_MAX],
            "status_id": catalog.statuses[status_name][0],
            "priority_id": priority[0] if priority else catalog.default_priority,
            "resolution_id": resolution[0] if resolution else None, "workflow_id": project.workflow_id,
            "assignee_id": self.user_id(fields.get("assignee")), "reporter_id": self.user_id(fields.get("reporter")),
            "creator_id": self.user_id(fields.get("creator")) or self.user_id(fields.get("reporter")),
            "due_date": parse_day(fields.get("duedate")), "created_at": created,
            **estimates(fields),
            "updated_at": max(updated, created), "resolved_at": resolved or (updated if resolution else None),
        }

    def add_new(self, out: ImportBatch, issue: dict[str, Any], core: dict[str, Any], issue_id: int,
                next_group: Callable[[], int], next_comment: Callable[[], int], fingerprint: str) -> None:
        org, stamp, site = self.catalog.organization_id, self.stamp, self.catalog.site
        groups = self.history_rows(out, issue, core, issue_id, next_group)
        out.issues.append((issue_id, org, core["project"].id, core["number"], core["key"], core["issue_type_id"],
                           core["summary"], core["description"], core["status_id"], core["priority_id"],
                           core["resolution_id"], core["workflow_id"], core["assignee_id"], core["reporter_id"],
                           core["creator_id"], None, core["due_date"], stamp(core["created_at"]),
                           stamp(core["updated_at"]),
                           None if core["resolved_at"] is None else stamp(core["resolved_at"]), 1 + groups))
        out.ranks.append((org, issue_id, tail_rank(core["created_at"], issue_id)))
        if any(core[name] is not None for name in ESTIMATES):
            out.estimates.append({"issue": issue_id, **{name: core[name] for name in ESTIMATES}})
        self.part_rows(out, issue, core["project"], issue_id)
        for comment, row in self.comments_of(issue):
            comment_id = next_comment()
            out.comments.append((comment_id, org, issue_id, *row))
            if comment.get("id") is not None:
                out.mappings.append((org, site, "comment", str(comment["id"]), comment_id, None))
        out.worklogs += [(org, issue_id, *worklog) for worklog in self.worklogs_of(issue)]
        out.watchers += [(org, issue_id, user, stamp(core["created_at"])) for user in self.marks(issue, "watches",
                                                                                              "watchers")]
        out.votes += [(org, issue_id, user, stamp(core["created_at"])) for user in self.marks(issue, "votes",
                                                                                           "voters")]
        out.mappings.append((org, site, "issue", str(issue.get("id") or issue["key"]), issue_id, fingerprint))

    def part_rows(self, out: ImportBatch, issue: dict[str, Any], project: ProjectTarget, issue_id: int) -> None:
        """Labels, components, versions and custom field values (replaced whole on an update)."""
        org, fields = self.catalog.organization_id, issue["fields"]
        labels = dict.fromkeys(clean(label)[:LABEL_MAX] for label in fields.get("labels") or [] if str(label).strip())
        out.labels += [(org, issue_id, label) for label in labels]
        components = dict.fromkeys(project.components[c["name"].casefold()] for c in fields.get("components") or []
                                   if isinstance(c, dict) and str(c.get("name", "")).casefold() in project.components)
        out.components += [(org, issue_id, component) for component in components]
        for kind, key in (("fix", "fixVersions"), ("affected", "versions")):
            versions = dict.fromkeys(project.versions[v["name"].casefold()] for v in fields.get(key) or []
                                     if isinstance(v, dict) and str(v.get("name", "")).casefold() in project.versions)
            out.versions += [(org, issue_id, version, kind) for version in versions]
        sprints = [self.catalog.sprints[s.external_id] for s in sprints_of(fields, issue.get("names"))
                   if s.external_id in self.catalog.sprints]
        if sprints and self.catalog.sprint_field_id is not None:  # Tessera holds an issue's last sprint
            out.custom_values.append((org, issue_id, self.catalog.sprint_field_id, None, None, None, sprints[-1]))
        for field_id, target in self.catalog.fields.items():
            value = fields.get(field_id)
            if value in (None, "", [], {}):
                continue
            out.custom_values += [(org, issue_id, target.id, *typed) for typed in self.typed(target, value)]

    def typed(self, target: Any, value: object) -> list[tuple]:
        """(number, text, date, ref) rows of one custom field value; what does not fit is left out."""
        kind = target.field_type
        if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return [(float(value), None, None, None)]
        if kind == "text" and isinstance(value, str):
            return [(None, clean(value)[:TEXT_MAX], None, None)]
        if kind == "date":
            day = parse_day(value)
            return [(None, None, day, None)] if day else []
        if kind in ("select", "multi_select"):
            items = value if isinstance(value, list) else [value]
            refs = []
            for item in items:
                name = item.get("value") if isinstance(item, dict) else item
                option = target.options.get(str(name).casefold()) if name is not None else None
                if option is not None and option not in refs:
                    refs.append(option)
            return [(None, None, None, ref) for ref in (refs if kind == "multi_select" else refs[:1])]
        if kind == "user":
            user = self.user_id(value)
            return [(None, None, None, user)] if user else []
        return []

    def comments_of(self, issue: dict[str, Any]) -> list[tuple[dict[str, Any], tuple]]:
        """Each Jira comment with its row's (author, body, created, updated, version), in order."""
        rows = []
        for comment in (issue["fields"].get("comment") or {}).get("comments") or []:
            created = parse_time(comment.get("created"))
            if created is None:
                continue
            updated = parse_time(comment.get("updated")) or created
            rows.append((comment, (self.user_id(comment.get("author")),
                                   self.bodies.markdown(comment.get("body")), self.stamp(created),
                                   self.stamp(max(updated, created)), 1)))
        self.counts.comments += len(rows)
        return rows

    def worklogs_of(self, issue: dict[str, Any]) -> list[tuple]:
        rows = []
        for worklog in (issue["fields"].get("worklog") or {}).get("worklogs") or []:
            started = parse_time(worklog.get("started"))
            seconds = worklog.get("timeSpentSeconds")
            if started is None or not isinstance(seconds, int) or seconds <= 0:
                continue
            created = parse_time(worklog.get("created")) or started
            updated = parse_time(worklog.get("updated")) or created
            rows.append((self.user_id(worklog.get("author")), self.user_id(worklog.get("updateAuthor")),
                         self.stamp(started), seconds, self.bodies.markdown(worklog.get("comment")),
                         self.stamp(created), self.stamp(updated)))
        self.counts.worklogs += len(rows)
        return rows

    def marks(self, issue: dict[str, Any], field_name: str, list_name: str) -> list[int]:
        """Watchers or voters, where the export lists them (Jira gives only counts by default)."""
        holder = issue["fields"].get(field_name) or {}
        users = holder.get(list_name) if isinstance(holder, dict) else None
        return list(dict.fromkeys(uid for uid in (self.user_id(u) for u in users or []) if uid))

    def relations(self, issue: dict[str, Any]) -> Relations:
        fields, key = issue["fields"], issue["key"]
        parent = (fields.get("parent") or {}).get("key") or (fields.get("epic") or {}).get("key")
        if parent is None:
            for field_id in self.catalog.epic_link_fields:
                if isinstance(fields.get(field_id), str):
                    parent = fields[field_id]
                    break
        links = []
        for link in fields.get("issuelinks") or []:
            type_id = self.catalog.link_types.get((link.get("type") or {}).get("name"))
            if type_id is None:
                continue
            if (link.get("outwardIssue") or {}).get("key"):
                links.append((type_id, key, link["outwardIssue"]["key"]))
            elif (link.get("inwardIssue") or {}).get("key"):
                links.append((type_id, link["inwardIssue"]["key"], key))
        return Relations(key=key, parent_key=parent, links=links)

    def history_rows(self, out: ImportBatch, issue: dict[str, Any], core: dict[str, Any], issue_id: int,
                     next_group: Callable[[], int], known: set[str] | None = None) -> int:
        """Change groups and items of the changelog's histories (those not in `known`), oldest
        first; the number of groups."""
        org, site = self.catalog.organization_id, self.catalog.site
        histories = (issue.get("changelog") or {}).get("histories") or []
        ordered = sorted(histories, key=lambda h: (parse_time(h.get("created")) or core["created_at"],
                                                   _int(h.get("id"))))
        written = 0
        for history in ordered:
            external = str(history.get("id")) if history.get("id") is not None else None
            if known is not None and external in known:
                continue
            at = parse_time(history.get("created"))
            if at is None:
                continue
            items = [self.item(core["project"], item) for item in history.get("items") or []]
            if not items:
                continue
            group_id = next_group()
            author = self.user_id(history.get("author"))
            when = self.stamp(at)
            out.groups.append((group_id, org, issue_id, author, when))
            out.items += [(org, group_id, issue_id, *item, author, when) for item in items]
            if external is not None:
                out.mappings.append((org, site, "history", external, group_id, None))
            written += 1
        if not any(self._is_sprint(item) for history in histories for item in history.get("items") or []):
            written += self._sprint_history(out, issue, core, issue_id, next_group, known)
        self.counts.histories += written
        return written

    def _is_sprint(self, item: dict[str, Any]) -> bool:
        return str(item.get("field") or "").casefold() == "sprint"

    def _sprint_history(self, out: ImportBatch, issue: dict[str, Any], core: dict[str, Any], issue_id: int,
                        next_group: Callable[[], int], known: set[str] | None) -> int:
        """An issue's sprints when its changelog does not tell them (exports often leave the Sprint
        entries out): one change into each sprint its Sprint field lists, oldest first, when the
        sprint started (or the issue was created, if later), so its changelog shows every sprint
        it went through, not only the last, which is the one Tessera's Sprint field holds."""
        field_id = self.catalog.sprint_field_id
        if field_id is None:
            return 0
        org, site = self.catalog.organization_id, self.catalog.site
        sprints = [s for s in sprints_of(issue["fields"], issue.get("names")) if s.external_id in self.catalog.sprints]
        previous: tuple[str | None, str | None] = (None, None)
        written = 0
        for sprint in sprints:
            local = str(self.catalog.sprints[sprint.external_id])
            external = f"sprint:{issue.get('id') or issue['key']}:{sprint.external_id}"
            at = max(sprint.start, core["created_at"]) if isinstance(sprint.start, datetime) else core["created_at"]
            if known is None or external not in known:
                group_id = next_group()
                when = self.stamp(at)
                out.groups.append((group_id, org, issue_id, None, when))
                out.items.append((org, group_id, issue_id, "Sprint", f"customfield_{10_000 + field_id}", "custom",
                                  previous[0], previous[1], local, sprint.name, None, when))
                out.mappings.append((org, site, "history", external, group_id, None))
                written += 1
            previous = (local, sprint.name)
        return written

    def item(self, project: ProjectTarget, item: dict[str, Any]) -> tuple:
        """(field, field_id, field_type, from, from_string, to, to_string) in Tessera's terms."""
        catalog = self.catalog
        name = str(item.get("field") or "")
        field_id = str(item.get("fieldId") or FIELD_IDS.get(name.casefold(), name))
        old, old_text, new, new_text = item.get("from"), item.get("fromString"), item.get("to"), item.get("toString")

        def named(lookup: dict[str, tuple[int, str]], text: str | None) -> tuple[str | None, str | None]:
            found = lookup.get(text) if text is not None else None
            return (str(found[0]), found[1]) if found else (None if text is None else text, text)

        if field_id in ("status", "priority", "resolution"):
            lookup = {"status": catalog.statuses, "priority": catalog.priorities,
                      "resolution": catalog.resolutions}[field_id]
            (old, old_text), (new, new_text) = named(lookup, old_text), named(lookup, new_text)
        elif field_id in ("assignee", "reporter"):
            old_user, new_user = catalog.users.get(old or ""), catalog.users.get(new or "")
            old, old_text = (str(old_user[0]), old_user[1]) if old_user else (None, old_text)
            new, new_text = (str(new_user[0]), new_user[1]) if new_user else (None, new_text)
        elif field_id == "issuetype":
            old = str(catalog.issue_types[old_text]) if old_text in catalog.issue_types else old
            new = str(catalog.issue_types[new_text]) if new_text in catalog.issue_types else new
        elif field_id in ("fixVersions", "versions", "components"):
            parts = project.components if field_id == "components" else project.versions
            old = str(parts[old_text.casefold()]) if old_text and old_text.casefold() in parts else old
            new = str(parts[new_text.casefold()]) if new_text and new_text.casefold() in parts else new
        elif name.casefold() == "sprint" and catalog.sprint_field_id is not None:  # as Tessera's Sprint field
            field_id = f"customfield_{10_000 + catalog.sprint_field_id}"
            old, old_text = _last_sprint(catalog.sprints, old, old_text)
            new, new_text = _last_sprint(catalog.sprints, new, new_text)
        elif field_id in catalog.fields:
            target = catalog.fields[field_id]
            field_id = f"customfield_{10_000 + target.id}"
            if target.field_type in ("select", "multi_select"):
                old = _options(target.options, old_text) or old
                new = _options(target.options, new_text) or new
        kind = "custom" if field_id.startswith("customfield_") else "jira"
        return (name[:255] or field_id, field_id[:64], kind, _str(old), _str(old_text), _str(new), _str(new_text))


def _last_sprint(sprints: dict[str, int], ids: object, names: str | None) -> tuple[object, str | None]:
    """Jira's Sprint change lists every sprint the issue is in ("12, 13"); Tessera holds one."""
    last = str(ids).split(",")[-1].strip() if ids else ""
    name = names.split(",")[-1].strip() if names else None
    return (sprints[last] if last in sprints else (last or None)), name


def estimates(fields: dict[str, Any]) -> dict[str, int | None]:
    """Jira's time tracking (seconds) as the issue's columns; time spent falls back to the sum of
    the worklogs, which Tessera keeps equal."""
    def seconds(name: str) -> int | None:
        value = fields.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

    spent = seconds("timespent")
    if spent is None:
        logged = [w.get("timeSpentSeconds") for w in (fields.get("worklog") or {}).get("worklogs") or []]
        spent = sum(s for s in logged if isinstance(s, int) and s > 0) or None
    return {"original_estimate": seconds("timeoriginalestimate"), "remaining_estimate": seconds("timeestimate"),
            "time_spent": spent}


def _options(options: dict[str, int], text: str | None) -> str | None:
    if not text:
        return None
    ids = [options.get(part.strip().casefold()) for part in text.split(",")]
    return ",".join(str(i) for i in ids) if ids and all(i is not None for i in ids) else None


def _str(value: object) -> str | None:
    return None if value is None else clean(value)


def clean(value: object) -> str:
    """Text as the databases take it: Jira stores NUL characters PostgreSQL refuses."""
    return str(value).replace("\x00", "")


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
