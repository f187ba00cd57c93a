"""/projects/{key}/settings/mail-in: a project's email address and its email-in policy, for the
project's administrators (the same functions as GET/PUT /v2/projects/{id}/mail-in)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.refs import parse_id
from tessera.errors import InvalidInput
from tessera.integrations.mail_in.models import UNKNOWN_SENDER_POLICIES
from tessera.integrations.mail_in.policy import access_policy, check_set_policy, policy_view
from tessera.issues.references import load_catalog
from tessera.projects.service import access_project
from tessera.tenancy.actor import Actor
from tessera.tenancy.service import picker_users
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/projects/{project_key}/settings/mail-in"
SHOWN_USERS = 500


def policy_change(form: dict[str, str]) -> dict[str, Any]:
    """The PUT document the form stands for (every field; an unchecked box is "off")."""
    acting = form.get("on_behalf_of_id", "").strip()
    on_behalf_of_id = parse_id(acting)
    if acting and on_behalf_of_id is None:
        raise InvalidInput("Choose the user who files unknown senders' mail.", field="on_behalf_of_id")
    return {"enabled": "enabled" in form, "unknown_senders": form.get("unknown_senders", ""),
            "on_behalf_of_id": on_behalf_of_id, "issue_type": form.get("issue_type", "")}


async def _choices(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    catalog = await load_catalog(session, actor.organization_id)
    users = await picker_users(session, actor, max_results=SHOWN_USERS)
    return {"issue_types": [t.name for t in catalog.issue_types if not t.subtask],
            "users": [u for u in users if u.active], "unknown_sender_policies": UNKNOWN_SENDER_POLICIES}


async def _render(web: Web, project_key: str, *, status_code: int = 200, saved: bool = False,
                  error: InvalidInput | None = None, form: dict[str, Any] | None = None) -> Response:
    async with web.transaction(write=False) as (session, actor):
        project = await access_project(session, actor, project_key)
        policy = policy_view(web.settings, organization_key=actor.organization_key, project=project,
                             policy=await access_policy(session, actor=actor, project=project))
        choices = await _choices(session, actor)
    shown = {**policy, **(form or {})}
    return web.render("mail_in_settings.html", status_code=status_code, project=project, policy=policy, form=shown,
                      saved=saved, error=error.message if error else None, error_field=error.field if error else None,
                      may_administer=True, nav="mail-in", **choices)


@router.get(PAGE)
async def mail_in_page(project_key: str, web: Web, saved: str = "") -> Response:
    return await _render(web, project_key, saved=saved == "1")


@router.post(PAGE)
async def save_mail_in(project_key: str, web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            project = await access_project(session, actor, project_key)
            await check_set_policy(session, actor=actor, project=project, **policy_change(form))
            key = project.key
    except InvalidInput as error:  # the transaction is rolled back: nothing is saved
        shown = {"enabled": "enabled" in form, "unknown_senders": form.get("unknown_senders", ""),
                 "on_behalf_of_id": parse_id(form.get("on_behalf_of_id", "")), "issue_type": form.get("issue_type")}
        return await _render(web, project_key, status_code=error.status, error=error, form=shown)
    return web.redirect(f"/projects/{key}/settings/mail-in?saved=1")
