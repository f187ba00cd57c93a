"""/rest/api/2/mypermissions: the caller's permissions, globally or in a project or issue
(`projectKey`, `projectId`, `issueKey`, `issueId`), under Jira's permission keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from tessera.edge.context import RequestContext, request_context
from tessera.issues.service import access_issue
from tessera.projects.service import access_project
from tessera.tenancy.permissions import (
    GLOBAL_PERMISSIONS,
    Permission,
    global_permissions_held,
    open_project_permissions,
    permissions_held,
)

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]
Ref = Annotated[str | None, Query(max_length=100)]


def _entry(permission: Permission, held: bool) -> dict[str, Any]:
    key = permission.value  # Jira's key
    return {"id": key, "key": key, "name": key.removesuffix("_PERMISSION").replace("_", " ").title(),
            "type": "GLOBAL" if permission in GLOBAL_PERMISSIONS else "PROJECT", "description": "",
            "havePermission": held}


@router.get("/mypermissions")
async def my_permissions(ctx: Ctx, projectKey: Ref = None, projectId: Ref = None, issueKey: Ref = None,
                         issueId: Ref = None, permissions: Annotated[str | None, Query(max_length=2000)] = None
                         ) -> dict:
    async with ctx.transaction() as (session, actor):
        if issueKey or issueId:
            issue, project = await access_issue(session, actor, issueKey or issueId)
            held = await permissions_held(session, actor, project, issue)
        elif projectKey or projectId:
            held = await permissions_held(session, actor, await access_project(session, actor, projectKey or projectId))
        else:
            # Without a project: what the default scheme grants the caller in an open project.
            held = await open_project_permissions(session, actor)
        held |= await global_permissions_held(session, actor)
    wanted = {part.strip().upper() for part in (permissions or "").split(",") if part.strip()}
    entries = {}
    for permission in Permission:
        entry = _entry(permission, permission.value in held)
        if not wanted or entry["key"] in wanted:
            entries[entry["key"]] = entry
    return {"permissions": entries}
