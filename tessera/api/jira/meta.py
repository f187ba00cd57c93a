"""Create and edit metadata: which fields an issue type of a project takes, required or not,
with their schemas, operations and allowed values.

- `/issue/createmeta` (the pre-9.0 form, `expand=projects.issuetypes.fields`),
- `/issue/createmeta/{project}/issuetypes[/{issueTypeId}]` (Jira 8.4+, paged `values`),
- `/issue/{issue}/editmeta`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.dialect import links_for
from tessera.api.jira.issue_security import level_json
from tessera.db.refs import parse_id
from tessera.edge.context import RequestContext, request_context
from tessera.errors import NotFound
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.security import settable_levels
from tessera.issues.service import access_issue
from tessera.jira_format.fields import EPIC_LINK_FIELD, EPIC_NAME_FIELD, SYSTEM_BY_ID, JiraField, custom_field
from tessera.jira_format.shapes import (
    Links,
    component_json,
    issuetype_json,
    page,
    priority_json,
    project_json,
    split_values,
    version_json,
)
from tessera.projects.components import list_parts
from tessera.projects.models import Component, IssueType, Project, Version
from tessera.projects.service import access_project, list_projects
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, has_permission

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Listed = Annotated[list[str] | None, Query(max_length=100)]
CREATE_FIELDS = ("issuetype", "project", "summary", "description", "priority", "assignee", "reporter", "labels",
                 "components", "fixVersions", "versions", "duedate", "parent")
LIST_OPERATIONS = ["add", "set", "remove"]


async def _parts(session: AsyncSession, links: Links, project: Project) -> dict[str, list[dict]]:
    components = await list_parts(session, Component, project)
    versions = await list_parts(session, Version, project)
    return {"components": [component_json(links, c.id, c.name) for c in components],
            "versions": [version_json(links, v.id, v.name, released=v.released, archived=v.archived)
                         for v in versions]}


def _meta(links: Links, catalog: OrgCatalog, jira_field: JiraField, *, required: bool,
          allowed: dict[str, list[dict]], project: Project) -> dict[str, Any]:
    meta: dict[str, Any] = {"required": required, "schema": jira_field.schema, "name": jira_field.name,
                            "key": jira_field.id, "fieldId": jira_field.id, "hasDefaultValue": jira_field.id in (
                                "priority", "reporter"), "operations": ["set"]}
    definition = jira_field.definition
    if jira_field.id in ("labels", "components", "fixVersions", "versions") or (
            definition is not None and definition.field_type == "multi_select"):
        meta["operations"] = LIST_OPERATIONS
    if jira_field.id == "priority":
        meta["allowedValues"] = [priority_json(links, p.id, p.name, p.color) for p in catalog.priorities]
        meta["defaultValue"] = priority_json(links, catalog.default_priority.id, catalog.default_priority.name)
    elif jira_field.id == "issuetype":
        meta["allowedValues"] = [issuetype_json(links, t.id, t.name, t.subtask) for t in catalog.issue_types]
    elif jira_field.id == "project":
        meta["allowedValues"] = [project_json(links, project.id, project.key, project.name, project.project_type)]
    elif jira_field.id == "components":
        meta["allowedValues"] = allowed["components"]
    elif jira_field.id in ("fixVersions", "versions"):
        meta["allowedValues"] = allowed["versions"]
    elif jira_field.id == "comment":
        meta["operations"] = ["add", "edit", "remove"]
    elif jira_field.id == "security":
        meta["allowedValues"] = allowed["security"]
    elif definition is not None and definition.field_type in ("select", "multi_select"):
        meta["allowedValues"] = [{"self": f"{links.api}/customFieldOption/{o.id}", "value": o.value,
                                  "id": str(o.id), "disabled": o.disabled}
                                 for o in catalog.options.get(definition.id, [])]
    return meta


def screen_fields(catalog: OrgCatalog, project: Project, issue_type: IssueType, *, creating: bool
                  ) -> list[tuple[JiraField, bool]]:
    """(field, required) on the create or edit screen of this project and issue type."""
    names = CREATE_FIELDS if creating else (*(n for n in CREATE_FIELDS if n != "project"), "comment",
                                            "issuelinks")
    required = {"issuetype", "summary"} | ({"project"} if creating else set()) | (
        {"parent"} if issue_type.subtask else set())
    found = [(SYSTEM_BY_ID[name], name in required) for name in names]
    # Jira Software's epic fields: an epic has its name (its summary here, so not required); a
    # standard issue its epic link. Sub-tasks follow their parent's epic and have neither.
    if issue_type.hierarchy_level > 0:
        found.append((SYSTEM_BY_ID[EPIC_NAME_FIELD], False))
    elif issue_type.hierarchy_level == 0:
        found.append((SYSTEM_BY_ID[EPIC_LINK_FIELD], False))
    for definition in catalog.fields:
        if (not definition.project_ids or project.id in definition.project_ids) and \
                (not definition.issue_type_ids or issue_type.id in definition.issue_type_ids):
            found.append((custom_field(definition), False))
    return found


async def _fields_meta(session: AsyncSession, links: Links, catalog: OrgCatalog, project: Project,
                       issue_type: IssueType, *, creating: bool, actor: Actor, issue: Issue | None = None
                       ) -> list[dict[str, Any]]:
    allowed = await _parts(session, links, project)
    fields = screen_fields(catalog, project, issue_type, creating=creating)
    # The security level is on the screen when the caller may set one (SET_ISSUE_SECURITY and a
    # member of at least one of the project's levels), as in Jira.
    levels = await settable_levels(session, actor, project, issue)
    if levels:
        allowed["security"] = [level_json(links, level) for level in levels]
        fields.append((SYSTEM_BY_ID["security"], False))
    return [_meta(links, catalog, f, required=required, allowed=allowed, project=project) for f, required in fields]


def _issue_type(catalog: OrgCatalog, ref: str) -> IssueType:
    wanted = parse_id(ref)
    found = next((t for t in catalog.issue_types if t.id == wanted or t.name.casefold() == ref.casefold()), None)
    if found is None:
        raise NotFound(f"Issue type with id '{ref[:40]}' does not exist.")
    return found


@router.get("/issue/createmeta")
async def createmeta(ctx: Ctx, projectKeys: Listed = None, projectIds: Listed = None, issuetypeIds: Listed = None,
                     issuetypeNames: Listed = None, expand: Annotated[str | None, Query(max_length=200)] = None
                     ) -> dict:
    links = links_for(ctx)
    with_fields = "projects.issuetypes.fields" in (expand or "")
    keys = {k.upper() for k in split_values(projectKeys)}
    ids = {parse_id(i) for i in split_values(projectIds)}
    type_ids = {parse_id(i) for i in split_values(issuetypeIds)}
    type_names = {n.casefold() for n in split_values(issuetypeNames)}
    result = []
    async with ctx.transaction() as (session, actor):
        catalog = await catalog_for(session, actor)
        for project in await list_projects(session, actor):
            if (keys or ids) and project.key not in keys and project.id not in ids:
                continue
            if not await has_permission(session, actor, Permission.CREATE_ISSUES, project):
                continue  # as in Jira: only projects the caller may create issues in
            types = [t for t in catalog.issue_types if (not type_ids and not type_names) or t.id in type_ids
                     or t.name.casefold() in type_names]
            entries = []
            for kind in types:
                entry = issuetype_json(links, kind.id, kind.name, kind.subtask, kind.description)
                if with_fields:
                    entry["fields"] = {m["key"]: m for m in await _fields_meta(session, links, catalog, project, kind,
                                                                             creating=True, actor=actor)}
                entries.append(entry)
            result.append({**project_json(links, project.id, project.key, project.name, project.project_type),
                           "issuetypes": entries})
    return {"expand": "projects", "projects": result}


@router.get("/issue/createmeta/{project_ref}/issuetypes")
async def createmeta_issue_types(project_ref: str, ctx: Ctx, startAt: Annotated[int, Query(ge=0, le=10_000)] = 0,
                                 maxResults: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict:
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        await access_project(session, actor, project_ref, Permission.CREATE_ISSUES)
        catalog = await catalog_for(session, actor)
    values = [issuetype_json(links, t.id, t.name, t.subtask, t.description) for t in catalog.issue_types]
    return page(values[startAt:startAt + maxResults], start_at=startAt, max_results=maxResults, total=len(values))


@router.get("/issue/createmeta/{project_ref}/issuetypes/{type_ref}")
async def createmeta_fields(project_ref: str, type_ref: str, ctx: Ctx,
                            startAt: Annotated[int, Query(ge=0, le=10_000)] = 0,
                            maxResults: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict:
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        project = await access_project(session, actor, project_ref, Permission.CREATE_ISSUES)
        catalog = await catalog_for(session, actor)
        values = await _fields_meta(session, links, catalog, project, _issue_type(catalog, type_ref), creating=True,
                                    actor=actor)
    return page(values[startAt:startAt + maxResults], start_at=startAt, max_results=maxResults, total=len(values))


@router.get("/issue/{issue_ref}/editmeta")
async def editmeta(issue_ref: str, ctx: Ctx) -> dict:
    links = links_for(ctx)
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref, Permission.EDIT_ISSUES)
        catalog = await catalog_for(session, actor)
        values = await _fields_meta(session, links, catalog, project, catalog.issue_type(issue.issue_type_id),
                                    creating=False, actor=actor, issue=issue)
    return {"fields": {m["key"]: m for m in values}}
