"""JQL autocomplete: field names with their operators, values for a field, and the full list of
names, functions and reserved words (Jira's autocompletedata). Only the caller's organization,
and only projects the caller may browse, ever supply a value."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.models import Sprint
from tessera.issues.models import Issue, IssueLabel
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.security import issue_visible_condition
from tessera.jql import ast
from tessera.jql.development import DEVELOPMENT_FACTS
from tessera.jql.fields import (
    CUSTOM_FIELD_OFFSET,
    SYSTEM_FIELDS,
    FieldDef,
    custom_field,
    development_field,
    resolve_field,
    sprint_field,
)
from tessera.jql.filters import visible_filters_condition
from tessera.jql.models import SavedFilter
from tessera.projects.models import Component, Project, Version
from tessera.projects.service import browsable_projects_condition
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import CUSTOMER_ROLE, IssueSecurityLevel, User
from tessera.workflow.models import CATEGORY_NAMES

MAX_SUGGESTIONS = 20

# Jira's reserved words: a value spelled like one of these must be quoted.
RESERVED_WORDS = tuple(sorted("""
a abort access add after alias all alter and any are as asc audit avg be before begin between boolean break
but by byte catch cf changed char character check checkpoint collate collation column commit connect continue
count create current date decimal declare decrement default defaults define delete delimiter desc difference
distinct divide do double drop during else empty encoding end equals escape exclusive exec execute exists
explain false fetch file field first float for from function go goto grant greater group having identified if
immediate in increment index initial inner inout input insert int integer intersect intersection into is
isempty isnull join last left less like limit lock long max min minus mode modify modulo more multiply next
noaudit not notin nowait null number object of on option or order outer output power previous prior
privileges public raise raw remainder rename resource return returns revoke right row rowid rownum rows
select session set share size sqrt start strict string subtract sum synonym table then to trans transaction
trigger true uid union unique update user validate values view was when whenever where while with
""".split()))
_RESERVED = frozenset(RESERVED_WORDS)
_NEEDS_QUOTES = re.compile(r"""[\s+.,;?|*/%^$#@\[\]"'()=!<>~&\\{}]""")
_OPERATOR_ORDER = ("=", "!=", ">", ">=", "<", "<=", "~", "!~", "in", "not in", "is", "is not", "was", "was in",
                   "was not", "was not in", "changed")

_USER = ("currentUser()", "membersOf(group)")
_DATE = ("now()", "startOfDay()", "startOfWeek()", "startOfMonth()", "startOfYear()", "endOfDay()",
         "endOfWeek()", "endOfMonth()", "endOfYear()")
_SPRINT = ("openSprints()", "closedSprints()", "futureSprints()")
_ISSUE = ("watchedIssues()", "votedIssues()", "linkedIssues(issueKey)", "updatedBy(user)", "issueHistory()",
          "issuesWithRemoteLinksByGlobalId(globalId)")
_VERSION = ("releasedVersions()", "unreleasedVersions()", "latestReleasedVersion()", "earliestUnreleasedVersion()")
_PROJECT = ("projectsWhereUserHasRole(role)", "projectsWhereUserHasPermission(permission)", "projectsLeadByUser()")
# Which functions each field kind (FieldDef.kind, or custom_type for custom fields) accepts.
FUNCTIONS_BY_KIND: dict[str, tuple[str, ...]] = {
    "user": _USER, "watcher": _USER, "voter": _USER, "worklogauthor": _USER, "datetime": _DATE, "date": _DATE,
    "worklogdate": _DATE, "sprint": _SPRINT, "key": _ISSUE, "parent": _ISSUE, "epic": _ISSUE,
    "parentepic": _ISSUE, "fixversion": _VERSION, "affectedversion": _VERSION, "project": _PROJECT,
    "issuetype": ("standardIssueTypes()", "subtaskIssueTypes()"), "component": ("componentsLeadByUser()",),
}


def quote(value: str) -> str:
    """The value as JQL needs it written: bare when safe, else in double quotes with escapes."""
    if value and not _NEEDS_QUOTES.search(value) and value.lower() not in _RESERVED:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _operators(field: FieldDef) -> list[str]:
    return [op.upper() for op in _OPERATOR_ORDER if op in field.operators]


def _function_value(signature: str) -> str:
    return signature.split("(", 1)[0] + "()"


def _kind(field: FieldDef) -> str:
    return (field.custom_type or field.kind) if field.kind == "custom" else field.kind


def _field_entries(catalog: OrgCatalog) -> list[dict[str, Any]]:
    """System fields under their canonical names (aliases listed), then custom fields by quoted
    name (cf[N] when the name is ambiguous or taken by a system field)."""
    aliases: dict[str, list[str]] = {}
    canonical: dict[str, FieldDef] = {}
    for alias, field in SYSTEM_FIELDS.items():
        canonical.setdefault(field.name, sprint_field(catalog) if field.kind == "sprint" else field)
        aliases.setdefault(field.name, []).append(alias)
    entries = [{"value": quote(name), "display": name, "aliases": sorted(aliases[name]),
                "operators": _operators(field), "orderable": field.sortable, "searchable": True}
               for name, field in sorted(canonical.items(), key=lambda item: item[0].lower())]
    for entry in entries:  # Jira Software's epic fields also answer to their custom field id
        entry.update({"cf_id": alias for alias in entry["aliases"] if alias.startswith("cf[")})
    # development[section].property is written bare, as Jira's documentation writes it.
    for fact in DEVELOPMENT_FACTS.all():
        field = development_field(fact)
        entries.append({"value": fact.name, "display": fact.name, "aliases": [], "operators": _operators(field),
                        "orderable": False, "searchable": True})
    names = [d.name.lower() for d in catalog.fields]
    for definition in catalog.fields:
        field, cf = custom_field(definition), f"cf[{CUSTOM_FIELD_OFFSET + definition.id}]"
        ambiguous = names.count(definition.name.lower()) > 1 or definition.name.lower() in SYSTEM_FIELDS
        entries.append({"value": cf if ambiguous else quote(definition.name), "display": f"{definition.name} - {cf}",
                        "aliases": [cf], "cf_id": cf, "operators": _operators(field),
                        "orderable": field.sortable, "searchable": True})
    return entries


async def suggest_fields(session: AsyncSession, actor: Actor, *, prefix: str = "") -> list[dict[str, Any]]:
    wanted = prefix.strip().strip("\"'").lower()
    entries = _field_entries(await catalog_for(session, actor))
    found = [e for e in entries if any(name.lower().startswith(wanted) for name in (e["display"], *e["aliases"]))]
    return [{k: v for k, v in e.items() if k != "aliases"} for e in found]


def _field_ref(text: str) -> ast.FieldRef:
    text = text.strip()
    match = re.fullmatch(r"cf\[([0-9]{1,12})\]", text, re.IGNORECASE)
    if match:
        return ast.FieldRef(name=text, pos=ast.Position(1, 1), cf_id=int(match.group(1)))
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return ast.FieldRef(name=text, pos=ast.Position(1, 1))


def _matches(candidate: str, wanted: str) -> int | None:
    """0 when the candidate starts with `wanted`, 1 when one of its later words does, else None."""
    lowered = candidate.lower()
    if lowered.startswith(wanted):
        return 0
    if any(word.startswith(wanted) for word in re.split(r"[\s\-_/.]+", lowered)[1:]):
        return 1
    return None


def _rank(pairs: Iterable[tuple[str, str]], wanted: str) -> list[dict[str, str]]:
    """(value, display) pairs matching the typed prefix: whole-prefix matches first, no repeats."""
    seen: set[str] = set()
    scored = []
    for value, display in pairs:
        score = min((s for s in (_matches(value, wanted), _matches(display, wanted)) if s is not None), default=None)
        if score is not None and value.lower() not in seen:
            seen.add(value.lower())
            scored.append((score, display.lower(), {"value": quote(value), "display": display}))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in scored[:MAX_SUGGESTIONS]]


def _names(rows: Iterable[str]) -> list[tuple[str, str]]:
    return [(name, name) for name in rows]


async def _projects(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    rows = (await session.execute(select(Project.key, Project.name).where(browsable_projects_condition(actor))
                                  .order_by(Project.key))).all()
    return [(key, f"{name} ({key})") for key, name in rows]


async def _in_browsable(session: AsyncSession, actor: Actor, model: Any, wanted: str) -> list[str]:
    """Distinct names of a project part (component, version, sprint) in projects the actor browses."""
    browsable = select(Project.id).where(browsable_projects_condition(actor))
    column = model.name
    query = select(column).distinct().where(model.organization_id == actor.organization_id,
                                           model.project_id.in_(browsable))
    if wanted:
        query = query.where(func.lower(column).like(f"%{_escape(wanted)}%", escape="\\"))
    return list((await session.scalars(query.order_by(column).limit(500))).all())


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _users(session: AsyncSession, actor: Actor, wanted: str) -> list[tuple[str, str]]:
    query = select(User.email, User.display_name).where(User.organization_id == actor.organization_id,
                                                        User.active.is_(True), User.role != CUSTOMER_ROLE)
    if wanted:
        pattern = f"%{_escape(wanted)}%"
        query = query.where(func.lower(User.display_name).like(pattern, escape="\\")
                            | func.lower(User.email).like(pattern, escape="\\"))
    rows = (await session.execute(query.order_by(User.display_name).limit(500))).all()
    return [(email, f"{name} - {email}") for email, name in rows]


async def _labels(session: AsyncSession, actor: Actor, wanted: str) -> list[str]:
    browsable = select(Project.id).where(browsable_projects_condition(actor))
    query = (select(IssueLabel.label).distinct().join(Issue, Issue.id == IssueLabel.issue_id)
             .where(IssueLabel.organization_id == actor.organization_id,
                    Issue.organization_id == actor.organization_id, Issue.project_id.in_(browsable),
                    issue_visible_condition(actor)))
    if wanted:
        query = query.where(func.lower(IssueLabel.label).like(f"%{_escape(wanted)}%", escape="\\"))
    return list((await session.scalars(query.order_by(IssueLabel.label).limit(500))).all())


async def _candidates(session: AsyncSession, actor: Actor, catalog: OrgCatalog, field: FieldDef,
                      wanted: str) -> list[tuple[str, str]]:
    kind = _kind(field)
    if kind == "project":
        return await _projects(session, actor)
    if kind == "issuetype":
        return _names(t.name for t in catalog.issue_types)
    if kind == "status":
        return _names(s.name for s in catalog.statuses)
    if kind in ("statuscategory", "epicstatus"):
        return _names(CATEGORY_NAMES.values())
    if kind == "priority":
        return _names(p.name for p in sorted(catalog.priorities, key=lambda p: p.sequence))
    if kind == "resolution":
        return _names(["Unresolved", *(r.name for r in catalog.resolutions)])
    if kind in ("user", "watcher", "voter", "worklogauthor"):
        return await _users(session, actor, wanted)
    if kind == "labels":
        return _names(await _labels(session, actor, wanted))
    if kind == "component":
        return _names(await _in_browsable(session, actor, Component, wanted))
    if kind in ("fixversion", "affectedversion"):
        return _names(await _in_browsable(session, actor, Version, wanted))
    if kind == "sprint":
        return _names(await _in_browsable(session, actor, Sprint, wanted))
    if kind == "level":
        schemes = select(Project.issue_security_scheme_id).where(browsable_projects_condition(actor))
        return _names((await session.scalars(select(IssueSecurityLevel.name).distinct().where(
            IssueSecurityLevel.organization_id == actor.organization_id, IssueSecurityLevel.scheme_id.in_(schemes))
            .order_by(IssueSecurityLevel.name))).all())
    if kind == "linktype":
        return _names(name for t in catalog.link_types for name in (t.name, t.outward, t.inward))
    if kind == "filter":
        rows = (await session.scalars(select(SavedFilter.name).where(visible_filters_condition(actor))
                                      .order_by(SavedFilter.name).limit(500))).all()
        return _names(rows)
    if kind == "development_value":
        return _names(DEVELOPMENT_FACTS.get(field.fact or "").values)
    if kind in ("select", "multi_select") and field.custom_id is not None:
        return _names(o.value for o in catalog.options.get(field.custom_id, []) if not o.disabled)
    return []


async def suggest_values(session: AsyncSession, actor: Actor, *, field: str, value: str = "") -> list[dict[str, str]]:
    """At most MAX_SUGGESTIONS values of `field` matching what was typed so far (an opening quote
    is ignored), followed by the functions the field accepts. Unknown fields answer 400 exactly as
    in a query."""
    catalog = await catalog_for(session, actor)
    definition = resolve_field(catalog, _field_ref(field))
    wanted = value.strip().lstrip("\"'").rstrip("\"'").lower()
    results = _rank(await _candidates(session, actor, catalog, definition, wanted), wanted)
    for signature in FUNCTIONS_BY_KIND.get(_kind(definition), ()):
        if len(results) < MAX_SUGGESTIONS and signature.lower().startswith(wanted):
            results.append({"value": _function_value(signature), "display": signature})
    return results


async def autocomplete_data(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    """Every field name (with operators), function and reserved word, as one document."""
    catalog = await catalog_for(session, actor)
    functions: dict[str, set[str]] = {}
    for kind, signatures in FUNCTIONS_BY_KIND.items():
        for signature in signatures:
            functions.setdefault(signature, set()).add(kind)
    fields = [{k: v for k, v in e.items() if k != "aliases"} for e in _field_entries(catalog)]
    return {"fields": fields,
            "functions": [{"value": _function_value(s), "display": s, "types": sorted(kinds)}
                          for s, kinds in sorted(functions.items(), key=lambda item: item[0].lower())],
            "reserved_words": list(RESERVED_WORDS)}
