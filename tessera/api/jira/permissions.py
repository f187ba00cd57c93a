"""/rest/api/2/mypermissions: the caller's permissions, globally or in a project or issue
(`projectKey`, `projectId`, `issueKey`, `issueId`), under Jira's permission keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tessera.edge.context import RequestContext, request_context
from tessera.issues.service import access_issue
from tessera.projects.service import access_project
from tessera.tenancy.permissions import DEFAULT_SCHEME, Permission, permissions_held

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Ref = Annotated[str | None, Query(max_length=100)]
# Tessera's permission -> Jira's key (most are the same).
JIRA_KEYS = {Permission.ADMINISTER_ORGANIZATION: "ADMINISTER", Permission.MANAGE_SPRINTS: "MANAGE_SPRINTS_PERMISSION"}
GLOBAL = frozenset({Permission.ADMINISTER_ORGANIZATION, Permission.CREATE_PROJECT})


def _entry(permission: Permission, held: bool) -> dict[str, Any]:
    key = JIRA_KEYS.get(permission, permission.value)
    return {"id": key, "key": key, "name": key.replace("_", " ").title(),
            "type": "GLOBAL" if permission in GLOBAL else "PROJECT", "description": "", "havePermission": held}


@router.get("/mypermissions")
async def my_permissions(ctx: Ctx, projectKey: Ref = None, projectId: Ref = None, issueKey: Ref = None,
                         issueId: Ref = None, permissions: Annotated[str | None, Query(max_length=2000)] = None
                         ) -> dict:
    async with ctx.transaction() as (session, actor):
        project = None
        if issueKey or issueId:
            _, project = await access_issue(session, actor, issueKey or issueId)
        elif projectKey or projectId:
            project = await access_project(session, actor, projectKey or projectId)
        held = await permissions_held(session, actor, project) if project is not None else frozenset()
    wanted = {part.strip().upper() for part in (permissions or "").split(",") if part.strip()}
    entries = {}
    for permission in Permission:
        if permission in GLOBAL:
            has = actor.is_org_admin
        else:
            # Without a project: what the organization role grants in open projects.
            has = permission.value in held if project is not None else \
                actor.is_org_admin or f"org:{actor.org_role}" in DEFAULT_SCHEME.get(permission, frozenset())
        entry = _entry(permission, has)
        if not wanted or entry["key"] in wanted:
            entries[entry["key"]] = entry
    return {"permissions": entries}
