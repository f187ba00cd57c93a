"""Jira's field catalog for an organization: system fields with Jira's ids, names, schemas and
JQL clause names, then the organization's custom fields as `customfield_NNNNN` (10000 + the
field's id, the same number JQL's `cf[NNNNN]` and /v2 use). Also which fields a request asks
for (`fields=*all,-comment`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tessera.issues.references import OrgCatalog
from tessera.jql.fields import CUSTOM_FIELD_OFFSET
from tessera.projects.models import CustomFieldDefinition

CUSTOM_TYPES = "com.atlassian.jira.plugin.system.customfieldtypes"
# The global issue order (agile ranking) as Jira Software's LexoRank field; the `jira` client
# finds it by name and schema. Below 10000, so no custom field's id can equal it.
RANK_FIELD = "customfield_9999"
RANK_CUSTOM_ID = 9999
# Jira Software's epic fields, over Tessera's parent relation: an issue's Epic Link is its parent
# when that parent is an epic; an epic's Epic Name is its summary and its Epic Status its status
# category. Reserved ids below 10000 like Rank's; clients find them by name and schema.
EPIC_LINK_FIELD, EPIC_NAME_FIELD, EPIC_STATUS_FIELD = "customfield_9998", "customfield_9997", "customfield_9996"
GREENHOPPER = "com.pyxis.greenhopper.jira"


@dataclass(frozen=True)
class JiraField:
    id: str
    name: str
    schema: dict[str, Any]
    clause_names: tuple[str, ...] = ()
    custom: bool = False
    orderable: bool = True  # settable on create/edit screens
    navigable: bool = True
    definition: CustomFieldDefinition | None = field(default=None, compare=False)

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.id, "name": self.name, "custom": self.custom, "orderable": self.orderable,
                "navigable": self.navigable, "searchable": bool(self.clause_names),
                "clauseNames": list(self.clause_names), "schema": self.schema}


def _system(field_id: str, name: str, kind: str, clauses: tuple[str, ...] = (), *, items: str | None = None,
            orderable: bool = True, navigable: bool = True) -> JiraField:
    schema: dict[str, Any] = {"type": kind, "system": field_id}
    if items:
        schema["items"] = items
    return JiraField(field_id, name, schema, clauses or (field_id,), orderable=orderable, navigable=navigable)


SYSTEM_FIELDS: tuple[JiraField, ...] = (
    _system("issuetype", "Issue Type", "issuetype", ("issuetype", "type")),
    _system("project", "Project", "project"),
    _system("summary", "Summary", "string"),
    _system("description", "Description", "string"),
    _system("status", "Status", "status", orderable=False),
    _system("priority", "Priority", "priority"),
    _system("resolution", "Resolution", "resolution"),
    _system("assignee", "Assignee", "user"),
    _system("reporter", "Reporter", "user"),
    _system("creator", "Creator", "user", orderable=False),
    _system("labels", "Labels", "array", ("labels",), items="string"),
    _system("components", "Component/s", "array", ("component",), items="component"),
    _system("fixVersions", "Fix Version/s", "array", ("fixVersion",), items="version"),
    _system("versions", "Affects Version/s", "array", ("affectedVersion",), items="version"),
    _system("duedate", "Due Date", "date", ("due", "duedate")),
    _system("parent", "Parent", "issuelink", ("parent",)),
    _system("created", "Created", "datetime", ("created", "createdDate"), orderable=False),
    _system("updated", "Updated", "datetime", ("updated", "updatedDate"), orderable=False),
    _system("resolutiondate", "Resolved", "datetime", ("resolved", "resolutiondate"), orderable=False),
    _system("issuelinks", "Linked Issues", "array", ("issueLinkType",), items="issuelinks"),
    _system("subtasks", "Sub-Tasks", "array", ("subtasks",), items="issuelinks", orderable=False),
    _system("comment", "Comment", "comments-page", orderable=False, navigable=False),
    _system("watches", "Watchers", "watches", ("watcher", "watchers"), orderable=False),
    _system("votes", "Votes", "votes", orderable=False),
    _system("attachment", "Attachment", "array", ("attachments",), items="attachment", orderable=False),
    _system("worklog", "Log Work", "array", ("worklogDate",), items="worklog", navigable=False),
    _system("timetracking", "Time tracking", "timetracking", ("timetracking",), navigable=False),
    _system("timeoriginalestimate", "Original Estimate", "number", ("originalEstimate", "timeoriginalestimate")),
    _system("timeestimate", "Remaining Estimate", "number", ("remainingEstimate", "timeestimate")),
    _system("timespent", "Time Spent", "number", ("timeSpent", "timespent"), orderable=False),
    _system("issuekey", "Key", "string", ("id", "issue", "issuekey", "key"), orderable=False),
    _system("security", "Security Level", "securitylevel", ("level",)),
    JiraField(RANK_FIELD, "Rank", {"type": "any", "custom": f"{GREENHOPPER}:gh-lexo-rank",
                                   "customId": RANK_CUSTOM_ID}, ("rank",), custom=True, orderable=False),
    JiraField(EPIC_LINK_FIELD, "Epic Link", {"type": "any", "custom": f"{GREENHOPPER}:gh-epic-link",
                                             "customId": 9998}, ("cf[9998]", "Epic Link"), custom=True),
    JiraField(EPIC_NAME_FIELD, "Epic Name", {"type": "string", "custom": f"{GREENHOPPER}:gh-epic-label",
                                             "customId": 9997}, ("cf[9997]", "Epic Name"), custom=True),
    JiraField(EPIC_STATUS_FIELD, "Epic Status", {"type": "option", "custom": f"{GREENHOPPER}:gh-epic-status",
                                                 "customId": 9996}, ("cf[9996]", "Epic Status"), custom=True,
              orderable=False),
)
SYSTEM_BY_ID = {f.id: f for f in SYSTEM_FIELDS}
# Only shown on request (`fields=worklog` or *all), as these cost a read each.
ON_REQUEST = frozenset({"comment", "worklog"})

_CUSTOM_SCHEMAS = {
    "number": ("number", None, f"{CUSTOM_TYPES}:float"),
    "text": ("string", None, f"{CUSTOM_TYPES}:textarea"),
    "select": ("option", None, f"{CUSTOM_TYPES}:select"),
    "multi_select": ("array", "option", f"{CUSTOM_TYPES}:multiselect"),
    "date": ("date", None, f"{CUSTOM_TYPES}:datepicker"),
    "user": ("user", None, f"{CUSTOM_TYPES}:userpicker"),
    "sprint": ("array", "string", "com.pyxis.greenhopper.jira:gh-sprint"),
}


def custom_field_id(definition: CustomFieldDefinition) -> str:
    return f"customfield_{CUSTOM_FIELD_OFFSET + definition.id}"


def custom_field(definition: CustomFieldDefinition) -> JiraField:
    kind, items, custom = _CUSTOM_SCHEMAS.get(definition.field_type, ("any", None, f"{CUSTOM_TYPES}:textfield"))
    number = CUSTOM_FIELD_OFFSET + definition.id
    schema: dict[str, Any] = {"type": kind, "custom": custom, "customId": number}
    if items:
        schema["items"] = items
    return JiraField(custom_field_id(definition), definition.name, schema, (f"cf[{number}]", definition.name),
                     custom=True, definition=definition)


def all_fields(catalog: OrgCatalog) -> list[JiraField]:
    return [*SYSTEM_FIELDS, *(custom_field(d) for d in catalog.fields)]


def find_field(catalog: OrgCatalog, ref: str) -> JiraField | None:
    """By Jira id (`summary`, `customfield_10001`), a clause name, or a custom field's key or name."""
    wanted = ref.strip()
    if wanted in SYSTEM_BY_ID:
        return SYSTEM_BY_ID[wanted]
    folded = wanted.casefold()
    for jira_field in all_fields(catalog):
        if folded == jira_field.id.casefold() or folded in (c.casefold() for c in jira_field.clause_names) or (
                jira_field.definition is not None and folded == jira_field.definition.key.casefold()):
            return jira_field
    return None


@dataclass(frozen=True)
class FieldSelection:
    """Which fields to render: `*all` (every field), `*navigable` (all but comments and
    worklogs), ids, and `-id` exclusions; no request means `default`."""

    wanted: frozenset[str] | None  # None: every field
    excluded: frozenset[str] = frozenset()

    def has(self, field_id: str) -> bool:
        return field_id not in self.excluded and (self.wanted is None or field_id in self.wanted)


def select_fields(catalog: OrgCatalog, requested: Iterable[str], *, default: str = "*all") -> FieldSelection:
    items = [item for item in requested if item]
    included = [item for item in items if not item.startswith("-")]
    excluded = frozenset(resolved.id for item in items if item.startswith("-")
                         if (resolved := find_field(catalog, item[1:])) is not None)
    if not included:
        included = [default]
    if "*all" in included:
        return FieldSelection(None, excluded)
    wanted: set[str] = set()
    if "*navigable" in included:
        wanted |= {f.id for f in all_fields(catalog) if f.navigable and f.id not in ON_REQUEST}
    for item in included:
        if item in ("*navigable", "*none"):
            continue
        resolved = find_field(catalog, item)
        if resolved is not None:
            wanted.add(resolved.id)
    return FieldSelection(frozenset(wanted), excluded)
