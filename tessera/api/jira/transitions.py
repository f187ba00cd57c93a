"""/rest/api/2/issue/{issue}/transitions: what the caller may run now (with the fields of each
transition's screen on `expand=transitions.fields`), and running one, with `fields` (the
screen), a `comment` and `worklog` in `update`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.api.jira.additions import apply_additions
from tessera.api.jira.bodies import json_object, ref_of
from tessera.api.jira.dialect import is_cloud, issue_body_from, links_for
from tessera.api.jira.issue_input import IssueChanges
from tessera.api.jira.people import user_id_for
from tessera.edge.context import RequestContext, request_context
from tessera.errors import InvalidInput, TesseraError
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.service import access_issue
from tessera.issues.transitions import available_transitions, check_transition_issue
from tessera.jira_format.fields import SYSTEM_BY_ID, custom_field, find_field
from tessera.jira_format.shapes import Links, resolution_json, status_json
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
# Screen field names of Tessera's workflows -> Jira's field ids (custom fields use their key).
SCREEN_TO_JIRA = {"assignee": "assignee", "reporter": "reporter", "summary": "summary", "description": "description",
                  "priority": "priority", "labels": "labels", "components": "components",
                  "fix_versions": "fixVersions", "affected_versions": "versions", "due_date": "duedate",
                  "resolution": "resolution", "comment": "comment"}
JIRA_TO_SCREEN = {jira: ours for ours, jira in SCREEN_TO_JIRA.items()}


def _screen_field(links: Links, catalog: OrgCatalog, name: str) -> tuple[str, dict[str, Any]]:
    jira_id = SCREEN_TO_JIRA.get(name)
    jira_field = SYSTEM_BY_ID.get(jira_id or "") or next(
        (custom_field(d) for d in catalog.fields if d.key == name), None)
    if jira_field is None:
        return name, {"required": False, "name": name, "key": name, "operations": ["set"], "schema": {}}
    meta: dict[str, Any] = {"required": False, "schema": jira_field.schema, "name": jira_field.name,
                            "key": jira_field.id, "fieldId": jira_field.id, "hasDefaultValue": False,
                            "operations": ["add"] if jira_field.id == "comment" else ["set"]}
    if jira_field.id == "resolution":
        meta["allowedValues"] = [resolution_json(links, r.id, r.name, r.description) for r in catalog.resolutions]
    return jira_field.id, meta


async def transitions_json(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project, links: Links,
                           with_fields: bool, only: str | None = None) -> list[dict[str, Any]]:
    catalog = await catalog_for(session, actor)
    definition = catalog.workflow(issue.workflow_id).definition
    by_id = {str(t["id"]): t for t in definition.get("transitions", [])}
    found = []
    for transition in await available_transitions(session, actor=actor, issue=issue, project=project):
        if only is not None and transition["id"] != only:
            continue
        target = catalog.status(transition["to"]["id"])
        raw = by_id.get(transition["id"], {})
        view: dict[str, Any] = {
            "id": transition["id"], "name": transition["name"],
            "to": status_json(links, target.id, target.name, target.category, target.description),
            "hasScreen": transition["has_screen"], "isGlobal": not raw.get("from"), "isInitial": False,
            "isAvailable": True, "isConditional": bool(raw.get("conditions")), "isLooped": False}
        if with_fields:
            view["fields"] = dict(_screen_field(links, catalog, name) for name in transition["screen"])
        found.append(view)
    return found


@router.get("/issue/{issue_ref}/transitions")
async def list_transitions(issue_ref: str, ctx: Ctx, expand: Annotated[str | None, Query(max_length=200)] = None,
                           transitionId: Annotated[str | None, Query(max_length=50)] = None) -> dict:
    with_fields = "transitions.fields" in (expand or "")
    async with ctx.transaction() as (session, actor):
        issue, project = await access_issue(session, actor, issue_ref)
        transitions = await transitions_json(session, actor=actor, issue=issue, project=project,
                                             links=links_for(ctx), with_fields=with_fields,
                                             only=transitionId)
    return {"expand": "transitions", "transitions": transitions}


async def _screen_values(session: AsyncSession, actor: Actor, catalog: OrgCatalog, fields: dict[str, Any]
                         ) -> tuple[dict[str, Any], object]:
    """Jira's screen fields -> (Tessera's screen values, the resolution asked for)."""
    values: dict[str, Any] = {}
    resolution: object = None
    errors: dict[str, str] = {}
    for name, value in fields.items():
        try:
            if name == "resolution":
                resolution = ref_of(value, "id", "name")
            elif name in ("assignee", "reporter"):
                values[name] = await user_id_for(session, actor, value, field=name)
            elif name in ("components", "fixVersions", "versions"):
                values[JIRA_TO_SCREEN[name]] = [ref_of(item, "id", "name") for item in value or []]
            elif name in ("priority",):
                values[name] = ref_of(value, "id", "name")
            elif name in JIRA_TO_SCREEN:
                values[JIRA_TO_SCREEN[name]] = value
            else:
                found = find_field(catalog, name)
                if found is None or found.definition is None:
                    raise InvalidInput(f"Field '{name}' cannot be set. It is not on the appropriate screen, or "
                                       "unknown.")
                if found.definition.field_type == "user":
                    value = await user_id_for(session, actor, value, field=name)
                values[found.definition.key] = value
        except TesseraError as error:
            errors[name] = error.message
    if errors:
        raise InvalidInput("; ".join(errors.values()), errors=errors)
    return values, resolution


@router.post("/issue/{issue_ref}/transitions", status_code=204)
async def run_transition(issue_ref: str, request: Request, ctx: Ctx) -> Response:
    raw = await json_object(request)
    async with ctx.transaction() as (session, actor):
        catalog = await catalog_for(session, actor)
        # The catalog says which custom fields hold rich text: a Cloud client sends their ADF too.
        body = issue_body_from(raw, cloud=is_cloud(ctx), catalog=catalog)
        transition = body.get("transition")
        ref = ref_of(transition, "id", "name")
        if ref is None or isinstance(ref, bool) or not isinstance(ref, str | int):
            raise InvalidInput("Missing 'transition' identifier", field="transition")
        fields, update = body.get("fields") or {}, body.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise InvalidInput("'fields' and 'update' are JSON objects.", field="fields")
        comments = [op["add"] for op in update.get("comment") or [] if isinstance(op, dict) and
                    isinstance(op.get("add"), dict)]
        worklogs = [op["add"] for op in update.get("worklog") or [] if isinstance(op, dict) and
                    isinstance(op.get("add"), dict)]
        issue, project = await access_issue(session, actor, issue_ref)
        values, resolution = await _screen_values(session, actor, catalog, fields)
        comment = comments[0].get("body") if comments else None
        issue = await check_transition_issue(session, actor=actor, issue=issue, project=project,
                                             transition_ref=str(ref), fields=values, resolution=resolution,
                                             comment=comment if isinstance(comment, str) else None)
        await apply_additions(session, actor=actor, issue=issue, project=project,
                              changes=IssueChanges(comments=comments[1:], worklogs=worklogs))
    return Response(status_code=204)
