"""A first pass over a Jira source: everything the issues refer to (projects with their
components and versions, issue types, priorities, resolutions, statuses with their categories
and the transitions the changelogs show, custom fields with their types and options, users,
link types), so the catalog can be mapped and created before a single issue is written."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tessera.importing.jira.values import (
    STATUS_CATEGORIES,
    custom_field_type,
    option_values,
    parse_day,
    parse_time,
    user_identity,
)

# Custom fields that are Jira's own machinery, not the team's data: Rank is an ordering key,
# Development a cache of repository facts, Epic Link/Sprint/Parent are read as parents and sprints.
MACHINERY_FIELDS = frozenset({"rank", "development", "epic link", "sprint", "parent link", "epic color",
                              "epic status", "epic name", "team"})


@dataclass
class PartSeen:
    name: str
    external_id: str | None = None
    description: str = ""
    start: object = None
    release: object = None
    released: bool = False
    archived: bool = False


@dataclass
class SprintSeen:
    external_id: str
    name: str
    state: str
    start: object = None
    end: object = None
    complete: object = None


@dataclass
class ProjectSeen:
    key: str
    external_id: str | None
    name: str
    description: str = ""
    lead: str | None = None  # a user identity
    issues: int = 0
    max_number: int = 0
    components: dict[str, PartSeen] = field(default_factory=dict)
    versions: dict[str, PartSeen] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    transitions: set[tuple[str, str]] = field(default_factory=set)
    first_statuses: Counter = field(default_factory=Counter)
    sprints: dict[str, SprintSeen] = field(default_factory=dict)


@dataclass
class UserSeen:
    identity: str
    display_name: str
    email: str | None = None
    active: bool = True
    aliases: set[str] = field(default_factory=set)  # the user name wiki mentions use, where not the identity


@dataclass
class FieldSeen:
    external_id: str
    name: str
    types: Counter = field(default_factory=Counter)
    options: dict[str, None] = field(default_factory=dict)  # ordered set
    issues: int = 0
    declared: bool = False  # the site's field list names it: wanted though no issue holds a value yet


@dataclass
class Survey:
    site: str = "export"
    issues: int = 0
    projects: dict[str, ProjectSeen] = field(default_factory=dict)
    issue_types: dict[str, int] = field(default_factory=dict)  # name -> hierarchy level
    priorities: dict[str, int] = field(default_factory=dict)  # name -> Jira's id, for the order
    resolutions: dict[str, str] = field(default_factory=dict)  # name -> description
    statuses: dict[str, str] = field(default_factory=dict)  # name -> category
    link_types: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (outward, inward)
    users: dict[str, UserSeen] = field(default_factory=dict)
    fields: dict[str, FieldSeen] = field(default_factory=dict)  # by Jira field id
    comments: int = 0
    worklogs: int = 0
    histories: int = 0
    attachments: int = 0
    links: int = 0
    issue_ids: set[str] = field(default_factory=set)  # the ids the import records issues by

    def add(self, issue: dict[str, Any]) -> None:
        self.issues += 1
        self.issue_ids.add(str(issue.get("id") or issue["key"]))
        fields = issue["fields"]
        names = issue.get("names") if isinstance(issue.get("names"), dict) else {}
        schema = issue.get("schema") if isinstance(issue.get("schema"), dict) else {}
        if self.site == "export" and isinstance(issue.get("self"), str):
            self.site = site_of(issue["self"])
        project = self._project(issue, fields)
        issue_type = fields.get("issuetype") or {}
        if issue_type.get("name"):
            level = -1 if issue_type.get("subtask") else (
                1 if issue_type.get("hierarchyLevel") == 1 or issue_type["name"].casefold() == "epic" else 0)
            self.issue_types.setdefault(issue_type["name"], level)
        priority = fields.get("priority") or {}
        if priority.get("name"):
            self.priorities.setdefault(priority["name"], _number(priority.get("id")))
        resolution = fields.get("resolution") or {}
        if resolution.get("name"):
            self.resolutions.setdefault(resolution["name"], resolution.get("description") or "")
        status = fields.get("status") or {}
        if status.get("name"):
            category = STATUS_CATEGORIES.get(((status.get("statusCategory") or {}).get("key") or ""), "in_progress")
            self.statuses[status["name"]] = category
            project.statuses[status["name"]] += 1
        for role in ("assignee", "reporter", "creator"):
            self.user(fields.get(role))
        for kind, key in (("components", "components"), ("versions", "versions"), ("versions", "fixVersions")):
            for part in fields.get(key) or []:
                self._part(project, kind, part)
        for link in fields.get("issuelinks") or []:
            link_type = link.get("type") or {}
            if link_type.get("name"):
                self.link_types.setdefault(link_type["name"], (link_type.get("outward") or link_type["name"],
                                                               link_type.get("inward") or link_type["name"]))
            self.links += 1
        comments = (fields.get("comment") or {}).get("comments") or []
        self.comments += len(comments)
        for comment in comments:
            self.user(comment.get("author"))
        worklogs = (fields.get("worklog") or {}).get("worklogs") or []
        self.worklogs += len(worklogs)
        for worklog in worklogs:
            self.user(worklog.get("author"))
        self.attachments += len(fields.get("attachment") or [])
        for sprint in sprints_of(fields, names):
            project.sprints.setdefault(sprint.external_id, sprint)
        self._custom_fields(fields, names, schema)
        self._changelog(issue, project)

    def user(self, user: object) -> str | None:
        identity = user_identity(user)
        if identity is None or not isinstance(user, dict):
            return identity
        seen = self.users.get(identity)
        if seen is None:
            seen = self.users[identity] = UserSeen(identity=identity, display_name=str(
                user.get("displayName") or user.get("name") or identity)[:255])
        if user.get("name") and str(user["name"]) != identity:
            seen.aliases.add(str(user["name"]))
        if user.get("emailAddress") and not seen.email:
            seen.email = str(user["emailAddress"]).strip().lower()
        if user.get("active") is False:
            seen.active = False
        return identity

    def _project(self, issue: dict[str, Any], fields: dict[str, Any]) -> ProjectSeen:
        raw = fields.get("project") or {}
        key = str(raw.get("key") or issue["key"].rsplit("-", 1)[0]).upper()
        project = self.projects.get(key)
        if project is None:
            project = self.projects[key] = ProjectSeen(key=key, external_id=_text(raw.get("id")),
                                                       name=str(raw.get("name") or key)[:255])
            if raw.get("lead"):
                project.lead = self.user(raw["lead"])
        project.issues += 1
        number = issue_number(issue["key"])
        if number is not None:
            project.max_number = max(project.max_number, number)
        return project

    def add_project_export(self, document: dict[str, Any]) -> None:
        """What `<PROJECT>.project.json` says about a project the issues name."""
        project = self.projects.get(str(document.get("key", "")).upper())
        if project is None:
            return
        project.name = str(document.get("name") or project.name)[:255]
        project.description = str(document.get("description") or "")
        project.external_id = project.external_id or _text(document.get("id"))
        if document.get("lead"):
            project.lead = self.user(document["lead"])
        for component in document.get("components") or []:
            self._part(project, "components", component)
        for version in document.get("versions") or []:
            self._part(project, "versions", version)

    def _part(self, project: ProjectSeen, kind: str, raw: object) -> None:
        if not isinstance(raw, dict) or not raw.get("name"):
            return
        parts = getattr(project, kind)
        name = str(raw["name"])[:255]
        part = parts.get(name)
        if part is None:
            part = parts[name] = PartSeen(name=name, external_id=_text(raw.get("id")))
        part.description = part.description or str(raw.get("description") or "")
        if kind == "versions":
            part.start = part.start or parse_day(raw.get("startDate"))
            part.release = part.release or parse_day(raw.get("releaseDate"))
            part.released = part.released or bool(raw.get("released"))
            part.archived = part.archived or bool(raw.get("archived"))

    def _custom_fields(self, fields: dict[str, Any], names: dict, schema: dict) -> None:
        for field_id, value in fields.items():
            if not field_id.startswith("customfield_") or value in (None, "", [], {}):
                continue
            seen = self.fields.get(field_id)
            if seen is None:
                seen = self.fields[field_id] = FieldSeen(external_id=field_id, name=str(names.get(field_id) or field_id))
            elif names.get(field_id) and seen.name == field_id:
                seen.name = str(names[field_id])
            seen.issues += 1
            kind = custom_field_type(value, schema.get(field_id))
            seen.types[kind] += 1
            if kind == "user":
                self.user(value)
            for option in option_values(value):
                seen.options.setdefault(option)

    def _changelog(self, issue: dict[str, Any], project: ProjectSeen) -> None:
        histories = (issue.get("changelog") or {}).get("histories") or []
        self.histories += len(histories)
        first_status = True
        for history in sorted(histories, key=lambda h: h.get("created") or ""):
            self.user(history.get("author"))
            for item in history.get("items") or []:
                field_id = item.get("fieldId") or str(item.get("field", "")).lower()
                if field_id.startswith("customfield_"):
                    seen = self.fields.get(field_id)
                    if seen is None:
                        seen = self.fields[field_id] = FieldSeen(external_id=field_id, name=str(item.get("field")))
                    elif seen.name == field_id and item.get("field"):
                        seen.name = str(item["field"])
                if field_id == "status":
                    old, new = item.get("fromString"), item.get("toString")
                    for name in (old, new):
                        if name:
                            self.statuses.setdefault(name, guess_category(name))
                    if old and new:
                        project.transitions.add((old, new))
                    if first_status and old:
                        project.first_statuses[old] += 1
                    first_status = False
                elif field_id in ("assignee", "reporter"):
                    for identity, display in ((item.get("from"), item.get("fromString")),
                                              (item.get("to"), item.get("toString"))):
                        if identity and identity not in self.users:
                            self.users[identity] = UserSeen(identity=identity, display_name=str(display or identity))
                elif field_id == "resolution" and item.get("toString"):
                    self.resolutions.setdefault(item["toString"], "")
                elif field_id == "priority" and item.get("toString"):
                    self.priorities.setdefault(item["toString"], _number(item.get("to")))

    def wanted_fields(self) -> dict[str, FieldSeen]:
        """The custom fields worth bringing: values of a type Tessera holds, not Jira's machinery."""
        return {field_id: seen for field_id, seen in self.fields.items()
                if (seen.issues or seen.declared) and seen.name.casefold() not in MACHINERY_FIELDS
                and seen.types and seen.types.most_common(1)[0][0] is not None}


@dataclass
class SiteFacts:
    """What a live site says of its catalog beyond what its issues show: the categories of
    statuses a changelog names without them, the priorities' order, resolutions' descriptions,
    its custom fields with their types and options, its link types and its users (those a
    pull's issues never name come along too)."""

    status_categories: dict[str, str] = field(default_factory=dict)
    priority_order: list[str] = field(default_factory=list)
    resolutions: dict[str, str] = field(default_factory=dict)  # name -> description
    fields: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)  # id -> (name, type, options)
    link_types: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (outward, inward)
    users: list[dict[str, Any]] = field(default_factory=list)  # as the site's user lists show them

    def apply(self, found: Survey) -> None:
        for name, category in self.status_categories.items():
            if name in found.statuses:
                found.statuses[name] = category
        for index, name in enumerate(self.priority_order):
            if name in found.priorities:
                found.priorities[name] = index
        for name, description in self.resolutions.items():
            if name in found.resolutions and not found.resolutions[name]:
                found.resolutions[name] = description
        for field_id, (name, kind, options) in self.fields.items():
            seen = found.fields.get(field_id)
            if seen is None:
                seen = found.fields[field_id] = FieldSeen(external_id=field_id, name=name)
            elif seen.name == field_id:
                seen.name = name
            seen.declared = True
            if not seen.types:
                seen.types[kind] += 1
            for option in options:
                seen.options.setdefault(option)
        for name, ends in self.link_types.items():
            found.link_types.setdefault(name, ends)
        for user in self.users:
            found.user(user)


def sprints_of(fields: dict[str, Any], names: dict | None = None) -> list[SprintSeen]:
    """The sprints an issue was in, oldest first: Jira Software's `closedSprints` and `sprint`
    fields, and the Sprint custom field (objects on Cloud, the "…Sprint@1a2b[id=…,name=…]"
    strings of older Servers)."""
    raw: list[Any] = list(fields.get("closedSprints") or [])
    if isinstance(fields.get("sprint"), dict):
        raw.append(fields["sprint"])
    for field_id, value in fields.items():
        if field_id.startswith("customfield_") and isinstance(value, list) and value and (
                (names or {}).get(field_id, "").casefold() == "sprint" or _looks_like_sprints(value)):
            raw += value
    found: dict[str, SprintSeen] = {}
    for item in raw:
        if isinstance(item, str):
            item = dict(part.split("=", 1) for part in re.findall(r"(\w+=[^,\]]*)", item))
        if not isinstance(item, dict) or item.get("id") in (None, "") or not item.get("name"):
            continue
        state = str(item.get("state") or "closed").lower()
        found.setdefault(str(item["id"]), SprintSeen(
            external_id=str(item["id"]), name=str(item["name"])[:255],
            state=state if state in ("future", "active", "closed") else "closed",
            start=parse_time(item.get("startDate")), end=parse_time(item.get("endDate")),
            complete=parse_time(item.get("completeDate"))))
    return sorted(found.values(), key=lambda s: (s.start is None, s.start or 0, int(s.external_id)
                                                 if s.external_id.isdigit() else 0))


def _looks_like_sprints(value: list) -> bool:
    first = value[0]
    return (isinstance(first, dict) and {"id", "name", "state"} <= first.keys() and "boardId" in first) or (
        isinstance(first, str) and "Sprint@" in first)


def survey(issues: Iterable[dict[str, Any]], project_documents: dict[str, dict[str, Any]] | None = None) -> Survey:
    result = Survey()
    for issue in issues:
        result.add(issue)
    for document in (project_documents or {}).values():
        result.add_project_export(document)
    return result


_DONE_WORDS = re.compile(r"\b(done|closed|resolved|complete[d]?|released|cancel+ed|rejected|won'?t)\b", re.I)
_TODO_WORDS = re.compile(r"\b(to ?do|open|backlog|new|reopened|selected)\b", re.I)


def guess_category(name: str) -> str:
    """The category of a status seen only in a changelog (which does not carry one)."""
    if _DONE_WORDS.search(name):
        return "done"
    if _TODO_WORDS.search(name):
        return "todo"
    return "in_progress"


def site_of(url: str) -> str:
    match = re.match(r"^(https?://[^/]+)", url)
    return match.group(1).lower() if match else "export"


def issue_number(key: str) -> int | None:
    tail = key.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _number(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 1_000_000


def _text(value: object) -> str | None:
    return None if value is None else str(value)
