"""The JQL field catalog: which names a query may use in the caller's organization, what kind
of values each takes, which operators it supports, whether it sorts and how its history is
recorded. System fields are a closed table; custom fields come from the org catalog."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tessera.errors import InvalidInput
from tessera.issues.references import OrgCatalog
from tessera.jql import ast
from tessera.jql.development import DEVELOPMENT_FACTS, DevelopmentFact
from tessera.jql.development import resolve as resolve_development

CUSTOM_FIELD_OFFSET = 10_000  # Jira's cf[10001] is our custom field definition 1.

EQ = frozenset({"=", "!="})
IN = frozenset({"in", "not in"})
EMPTY = frozenset({"is", "is not"})
ORDER = frozenset({"<", "<=", ">", ">="})
TEXT = frozenset({"~", "!~"})
HISTORY = frozenset({"was", "was not", "was in", "was not in", "changed"})

ID_OPS = EQ | IN | EMPTY
ORDERED_OPS = ID_OPS | ORDER


@dataclass(frozen=True)
class FieldDef:
    """`kind` picks the value resolver in validate.py and the SQL shape in compile.py.
    `history_id` is the change_items.field_id of this field (None: WAS/CHANGED unsupported)."""

    name: str
    kind: str
    operators: frozenset[str]
    sortable: bool = True
    history_id: str | None = None
    column: str | None = None  # Issue attribute, for fields stored on the issue row
    custom_id: int | None = None  # custom_field_definitions.id
    custom_type: str | None = None
    default_desc: bool = False
    fact: str | None = None  # the registered development fact (tessera.jql.development)


def _system() -> dict[str, FieldDef]:
    fields = [
        (("project",), FieldDef("project", "project", ID_OPS - EMPTY, column="project_id")),
        (("issuetype", "type"), FieldDef("issuetype", "issuetype", ID_OPS - EMPTY, column="issue_type_id")),
        (("status",), FieldDef("status", "status", ID_OPS - EMPTY | HISTORY, history_id="status",
                               column="status_id")),
        (("statuscategory",), FieldDef("statusCategory", "statuscategory", ID_OPS - EMPTY, column="status_id")),
        (("priority",), FieldDef("priority", "priority", ORDERED_OPS | HISTORY, history_id="priority",
                                 column="priority_id", default_desc=True)),
        (("resolution",), FieldDef("resolution", "resolution", ID_OPS | HISTORY, history_id="resolution",
                                   column="resolution_id")),
        (("assignee",), FieldDef("assignee", "user", ID_OPS | HISTORY, history_id="assignee",
                                 column="assignee_id")),
        (("reporter",), FieldDef("reporter", "user", ID_OPS | HISTORY, history_id="reporter",
                                 column="reporter_id")),
        (("creator",), FieldDef("creator", "user", ID_OPS, column="creator_id")),
        (("labels", "label"), FieldDef("labels", "labels", ID_OPS, sortable=False)),
        (("component", "components"), FieldDef("component", "component", ID_OPS, sortable=False)),
        (("fixversion", "fixversions"), FieldDef("fixVersion", "fixversion", ID_OPS | HISTORY, sortable=False,
                                                 history_id="fixVersions")),
        (("affectedversion", "affectedversions", "version"),
         FieldDef("affectedVersion", "affectedversion", ID_OPS, sortable=False)),
        (("sprint",), FieldDef("sprint", "sprint", ID_OPS, sortable=False)),
        (("parent",), FieldDef("parent", "parent", ID_OPS, column="parent_id")),
        # The issue security level (tessera.tenancy.issue_security), by name or id.
        (("level", "security", "securitylevel"), FieldDef("level", "level", ID_OPS, column="security_level_id")),
        # Jira Software's epic fields over the parent relation (tessera.jira_format.fields).
        (("epic link", "epiclink", "cf[9998]"), FieldDef("Epic Link", "epic", ID_OPS, column="parent_id")),
        (("epic name", "cf[9997]"), FieldDef("Epic Name", "epicname", TEXT | EMPTY, sortable=False)),
        (("epic status", "cf[9996]"), FieldDef("Epic Status", "epicstatus", ID_OPS, sortable=False)),
        # The epic, its issues and their sub-tasks.
        (("parentepic", "parent epic"), FieldDef("parentEpic", "parentepic", IN | EQ, sortable=False)),
        (("summary",), FieldDef("summary", "summary", TEXT | EMPTY, column="summary")),
        (("description",), FieldDef("description", "description", TEXT | EMPTY, sortable=False,
                                    column="description")),
        (("comment",), FieldDef("comment", "comment", TEXT, sortable=False)),
        (("text",), FieldDef("text", "text", TEXT, sortable=False)),
        (("created", "createddate"), FieldDef("created", "datetime", ORDERED_OPS - EMPTY, column="created_at",
                                              default_desc=True)),
        (("updated", "updateddate"), FieldDef("updated", "datetime", ORDERED_OPS - EMPTY, column="updated_at",
                                              default_desc=True)),
        (("resolved", "resolutiondate"), FieldDef("resolved", "datetime", ORDERED_OPS, column="resolved_at",
                                                  default_desc=True)),
        (("due", "duedate"), FieldDef("due", "date", ORDERED_OPS, column="due_date")),
        (("key", "issuekey", "id", "issue"), FieldDef("key", "key", ORDERED_OPS - EMPTY)),
        (("watcher",), FieldDef("watcher", "watcher", ID_OPS, sortable=False)),
        # How many watch or voted for an issue (Jira's numbers; `watcher` and `voter` are the people).
        (("watchers",), FieldDef("watchers", "watchers", ORDERED_OPS - EMPTY, default_desc=True)),
        (("votes",), FieldDef("votes", "votes", ORDERED_OPS - EMPTY, default_desc=True)),
        # Time tracking, in seconds on the issue; values are durations ("2h", "1d 4h"; a bare number is minutes).
        (("originalestimate", "timeoriginalestimate"), FieldDef("originalEstimate", "duration", ORDERED_OPS,
                                                                column="original_estimate")),
        (("remainingestimate", "timeestimate"), FieldDef("remainingEstimate", "duration", ORDERED_OPS,
                                                         column="remaining_estimate")),
        (("timespent",), FieldDef("timeSpent", "duration", ORDERED_OPS, column="time_spent")),
        # Time spent as a percentage of the original estimate; empty without an estimate.
        (("workratio",), FieldDef("workRatio", "workratio", ORDERED_OPS)),
        (("worklogauthor",), FieldDef("worklogAuthor", "worklogauthor", ID_OPS - EMPTY, sortable=False)),
        (("worklogdate",), FieldDef("worklogDate", "worklogdate", ORDERED_OPS - EMPTY, sortable=False)),
        (("worklogcomment",), FieldDef("worklogComment", "worklogcomment", TEXT, sortable=False)),
        (("voter", "voters"), FieldDef("voter", "voter", ID_OPS - EMPTY, sortable=False)),
        (("attachments", "attachment"), FieldDef("attachments", "attachments", EMPTY, sortable=False)),
        (("issuelinktype",), FieldDef("issueLinkType", "linktype", ID_OPS, sortable=False)),
        (("filter", "request", "savedfilter", "searchrequest"), FieldDef("filter", "filter", EQ | IN,
                                                                         sortable=False)),
        # The agile global order: ORDER BY only, as in Jira Software (boards' filters end with it).
        (("rank",), FieldDef("Rank", "rank", frozenset())),
    ]
    return {alias: field for aliases, field in fields for alias in aliases}


SYSTEM_FIELDS = _system()

_CUSTOM_OPS = {
    "number": ORDERED_OPS | HISTORY,
    "date": ORDERED_OPS | HISTORY,
    "text": TEXT | EMPTY | HISTORY,
    "select": ID_OPS | HISTORY,
    "multi_select": ID_OPS | HISTORY,
    "user": ID_OPS | HISTORY,
    "sprint": ID_OPS | HISTORY,
}


def custom_field(definition) -> FieldDef:  # type: ignore[no-untyped-def]
    kind = definition.field_type
    return FieldDef(definition.name, "custom", _CUSTOM_OPS.get(kind, ID_OPS),
                    sortable=kind in ("number", "date", "text", "select", "user"),
                    history_id=f"customfield_{CUSTOM_FIELD_OFFSET + definition.id}",
                    custom_id=definition.id, custom_type=kind)


def sprint_field(catalog: OrgCatalog) -> FieldDef:
    """`sprint` over the organization's Sprint field: its history (sprint changes made in
    Tessera and those imported from Jira's changelogs) answers WAS and CHANGED as a custom
    field's does."""
    system = SYSTEM_FIELDS["sprint"]
    definition = catalog.sprint_field
    if definition is None:
        return system
    return replace(system, operators=system.operators | HISTORY,
                   history_id=f"customfield_{CUSTOM_FIELD_OFFSET + definition.id}",
                   custom_id=definition.id, custom_type="sprint")


def development_field(fact: DevelopmentFact) -> FieldDef:
    """A count compares with numbers (never empty: nothing linked counts 0); a value matches."""
    if fact.rows is not None:
        return FieldDef(fact.name, "development_count", ORDERED_OPS - EMPTY, sortable=False, fact=fact.name)
    return FieldDef(fact.name, "development_value", EQ | IN, sortable=False, fact=fact.name)


def unknown_field(ref: ast.FieldRef) -> InvalidInput:
    return InvalidInput(f"Field '{ref.name}' does not exist or you do not have permission to view it.",
                        field="jql", code="jql_unknown_field",
                        data={"line": ref.pos.line, "column": ref.pos.column})


def resolve_field(catalog: OrgCatalog, ref: ast.FieldRef) -> FieldDef:
    """System names win over a custom field of the same name (as in Jira, where `cf[id]`
    reaches the custom one); a custom field is found by name, key, customfield_N or cf[N]."""
    if ref.cf_id is not None and f"cf[{ref.cf_id}]" in SYSTEM_FIELDS:
        return SYSTEM_FIELDS[f"cf[{ref.cf_id}]"]
    if ref.cf_id is not None:
        wanted = ref.cf_id - CUSTOM_FIELD_OFFSET
        definition = next((d for d in catalog.fields if d.id == wanted), None)
        if definition is None:
            raise unknown_field(ref)
        return custom_field(definition)
    name = " ".join(ref.name.split()).lower()
    if name.startswith(("development[", "development.")) and DEVELOPMENT_FACTS.all():
        return development_field(resolve_development(ref))
    system = SYSTEM_FIELDS.get(name)
    if system is not None and system.kind == "sprint":
        return sprint_field(catalog)
    if system is not None:
        return system
    for definition in catalog.fields:
        if name in (definition.name.lower(), definition.key.lower(),
                    f"customfield_{CUSTOM_FIELD_OFFSET + definition.id}"):
            return custom_field(definition)
    raise unknown_field(ref)


def searchable_field_names(catalog: OrgCatalog) -> list[str]:
    """Canonical names, for autocomplete and documentation."""
    names = sorted({field.name for field in SYSTEM_FIELDS.values()}, key=str.lower)
    return names + [fact.name for fact in DEVELOPMENT_FACTS.all()] + [definition.name for definition in catalog.fields]
