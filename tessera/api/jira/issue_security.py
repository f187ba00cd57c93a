"""Jira's issue security API (read, as Jira Server's): /rest/api/2/issuesecurityschemes (list and
one with its levels), /securitylevel/{id}, a project's scheme (/project/{key}/issuesecuritylevelscheme)
and the levels the caller may set on its issues (/project/{key}/securitylevel). Schemes are
edited through /v2/issue-security-schemes and the admin pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from tessera.api.jira.dialect import links_for
from tessera.edge.context import RequestContext, request_context
from tessera.errors import NotFound
from tessera.issues.security import settable_levels
from tessera.jira_format.shapes import Links
from tessera.projects import issue_security as security
from tessera.projects.service import access_project
from tessera.tenancy.models import IssueSecurityLevel

router = APIRouter()
Ctx = Annotated[RequestContext, Depends(request_context)]


def level_json(links: Links, level: IssueSecurityLevel) -> dict[str, Any]:
    return {"self": f"{links.api}/securitylevel/{level.id}", "id": str(level.id), "description": level.description,
            "name": level.name}


def _scheme(links: Links, details: security.SecuritySchemeDetails, *, levels: bool) -> dict[str, Any]:
    scheme = details.scheme
    view: dict[str, Any] = {"self": f"{links.api}/issuesecurityschemes/{scheme.id}", "id": scheme.id,
                            "name": scheme.name, "description": scheme.description}
    if scheme.default_level_id is not None:
        view["defaultSecurityLevelId"] = scheme.default_level_id
    if levels:
        view["levels"] = [level_json(links, found.level) for found in details.levels]
    return view


# `JIRA.create_project()` refuses to run without an issue security scheme to name: an organization
# without any lists this one, "no issue security" (id 0, which no scheme has and create ignores).
_NO_SCHEME = {"id": 0, "name": "Default", "description": "No issue security: issues are visible to whoever may "
                                                         "browse their project."}


@router.get("/issuesecurityschemes")
async def list_issue_security_schemes(ctx: Ctx) -> dict:
    async with ctx.transaction(write=False) as (session, actor):
        found = await security.list_schemes(session, actor)
    return {"issueSecuritySchemes": [_scheme(links_for(ctx), d, levels=False) for d in found] or [_NO_SCHEME]}


@router.get("/issuesecurityschemes/{security_scheme_id}")
async def get_issue_security_scheme(security_scheme_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction(write=False) as (session, actor):
        details = await security.get_scheme(session, actor, security_scheme_id)
    return _scheme(links_for(ctx), details, levels=True)


@router.get("/securitylevel/{level_id}")
async def get_security_level(level_id: str, ctx: Ctx) -> dict:
    async with ctx.transaction(write=False) as (session, actor):
        level = await security.get_level(session, actor, level_id)
    return level_json(links_for(ctx), level)


@router.get("/project/{project_ref}/issuesecuritylevelscheme")
async def project_issue_security_scheme(project_ref: str, ctx: Ctx) -> dict:
    async with ctx.transaction(write=False) as (session, actor):
        project = await access_project(session, actor, project_ref)
        if project.issue_security_scheme_id is None:
            raise NotFound(f"Project {project.key} has no issue security level scheme.")
        details = await security.get_scheme(session, actor, project.issue_security_scheme_id)
    return _scheme(links_for(ctx), details, levels=True)


@router.get("/project/{project_ref}/securitylevel")
async def project_security_levels(project_ref: str, ctx: Ctx) -> dict:
    """The levels the caller may set on the project's issues (Jira's answer: none without
    SET_ISSUE_SECURITY)."""
    async with ctx.transaction(write=False) as (session, actor):
        project = await access_project(session, actor, project_ref)
        levels = await settable_levels(session, actor, project)
    return {"levels": [level_json(links_for(ctx), level) for level in levels]}
