"""/settings/integrations/git: an organization admin's Git connections in the browser (the same
check_/do_ functions as /v2/integrations/git), and CI-scoped API tokens for the builds and
deployments APIs (the token service of /v2/myself/tokens).

A secret or token is shown once, in the answer to the POST that made it: nothing keeps it for a
later GET, so the page that shows it is rendered there and then rather than after a redirect.

The rules table has one cell per project and event (on opened, on merged): a blank cell is no
rule. Rules of projects the page does not list (archived, say) are kept as they are."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.crypto.secret_box import SecretBox
from tessera.db.refs import require_id
from tessera.errors import InvalidInput
from tessera.integrations.git.connections import (
    RULE_EVENTS,
    ConnectionSpec,
    access_connection,
    check_create_connection,
    check_update_connection,
    do_delete_connection,
    events_url,
    last_events,
    list_connections,
)
from tessera.integrations.git.models import PROVIDERS, GitConnection
from tessera.projects.service import list_projects
from tessera.tenancy.service import access_user, check_issue_api_token, list_tokens
from tessera.tenancy.token_scopes import CI
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/settings/integrations/git"
NOT_FOUND = "Git connection not found."
PROVIDER_NAMES = {"github": "GitHub", "gitlab": "GitLab", "bitbucket": "Bitbucket Cloud", "gitea": "Gitea / Forgejo"}
_RULE_INDEX = re.compile(r"^rules\[(\d+)\]")


async def _list_page(web: Web, *, status_code: int = 200, error: InvalidInput | None = None,
                     form: dict[str, str] | None = None, ci_token: str | None = None,
                     deleted: bool = False) -> Response:
    async with web.transaction(write=False) as (session, actor):
        connections = await list_connections(session, actor)
        received = await last_events(session, organization_id=actor.organization_id,
                                     connection_ids=[c.id for c in connections])
        me = await access_user(session, actor, actor.user_id)
        ci_tokens = [t for t in await list_tokens(session, owner=me) if t.scope == CI and not t.revoked]
    return web.render("git_connections.html", status_code=status_code, connections=connections, received=received,
                      urls={c.id: events_url(web.settings.base_url, c) for c in connections},
                      providers=PROVIDER_NAMES, form=form or {"provider": PROVIDERS[0]},
                      error=error.message if error else None, error_field=error.field if error else None,
                      ci_tokens=ci_tokens, ci_token=ci_token, deleted=deleted, base_url=web.settings.base_url,
                      nav="git")


async def _connection_page(web: Web, connection_id: int, *, status_code: int = 200, secret: str | None = None,
                           created: bool = False, saved: bool = False, error: InvalidInput | None = None,
                           error_field: str | None = None, form: dict[str, str] | None = None) -> Response:
    async with web.transaction(write=False) as (session, actor):
        connection = await access_connection(session, actor, connection_id)
        projects = list(await list_projects(session, actor))
        received = await last_events(session, organization_id=actor.organization_id, connection_ids=[connection.id])
    shown = form if form is not None else _form_of(connection)
    return web.render("git_connection.html", status_code=status_code, connection=connection, projects=projects,
                      form=shown, url=events_url(web.settings.base_url, connection),
                      last_event=received.get(connection.id), providers=PROVIDER_NAMES, secret=secret,
                      created=created, saved=saved, error=error.message if error else None,
                      error_field=error_field, rule_events=RULE_EVENTS, nav="git")


def _form_of(connection: GitConnection) -> dict[str, str]:
    """The edit form's values as stored: the first rule of each project and event."""
    form = {"name": connection.name, "repository": connection.repository or ""}
    for rule in connection.rules or []:
        form.setdefault(f"rule.{rule['project']}.{rule['on']}", rule["transition"])
    return form


def rules_from_form(form: dict[str, str], stored: list[dict[str, str]], shown: list[str]) -> tuple[list, list[str]]:
    """The rules the form stands for, and the form field each came from ("" for a kept rule),
    so that an error about `rules[i]` can be shown at its cell. Cells naming a project or event
    the page never rendered are passed on, for the domain to refuse by name."""
    rules: list[dict[str, str]] = [rule for rule in stored if rule.get("project") not in shown]
    sources = [""] * len(rules)
    for name, value in form.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "rule" and value.strip():
            rules.append({"project": parts[1], "on": parts[2], "transition": value})
            sources.append(name)
    return rules, sources


def _field_of(error: InvalidInput, sources: list[str]) -> str | None:
    match = _RULE_INDEX.match(error.field or "")
    if match and int(match.group(1)) < len(sources):
        return sources[int(match.group(1))] or None
    return error.field


@router.get(PAGE)
async def connections_page(web: Web, deleted: str = "") -> Response:
    return await _list_page(web, deleted=deleted == "1")


@router.post(PAGE)
async def create_connection(web: Web) -> Response:
    """The secret is generated, and shown once on the page this answers with."""
    form = await web.form()
    spec = ConnectionSpec(provider=form.get("provider", ""), name=form.get("name", ""),
                          repository=form.get("repository", ""))
    try:
        async with web.transaction() as (session, actor):
            created = await check_create_connection(session, actor=actor, spec=spec,
                                                    box=SecretBox.from_settings(web.settings))
            connection_id, secret = created.connection.id, created.secret
    except InvalidInput as error:
        return await _list_page(web, status_code=error.status, error=error, form=form)
    return await _connection_page(web, connection_id, secret=secret, created=True)


@router.post(PAGE + "/ci-tokens")
async def create_ci_token(web: Web) -> Response:
    """A token scoped to CI (tessera.tenancy.token_scopes), owned by the admin who makes it."""
    form = await web.form()
    async with web.transaction() as (session, actor):
        token = await check_issue_api_token(session, actor, user=await access_user(session, actor, actor.user_id),
                                            name=form.get("token_name", "").strip() or "CI", scope=CI)
    return await _list_page(web, ci_token=token)

@router.get(PAGE + "/{connection_id}")
async def connection_page(connection_id: str, web: Web, saved: str = "") -> Response:
    return await _connection_page(web, require_id(connection_id, not_found=NOT_FOUND), saved=saved == "1")


@router.post(PAGE + "/{connection_id}")
async def save_connection(connection_id: str, web: Web) -> Response:
    row_id = require_id(connection_id, not_found=NOT_FOUND)
    form = await web.form()
    sources: list[str] = []
    try:
        async with web.transaction() as (session, actor):
            connection = await access_connection(session, actor, row_id)
            shown = [p.key for p in await list_projects(session, actor)]
            rules, sources = rules_from_form(form, list(connection.rules or []), shown)
            await check_update_connection(session, actor=actor, connection=connection, rules=rules,
                                          name=form.get("name", ""), repository=form.get("repository", ""),
                                          box=SecretBox.from_settings(web.settings))
    except InvalidInput as error:  # nothing was written: every value is checked before any is set
        return await _connection_page(web, row_id, status_code=error.status, error=error,
                                      error_field=_field_of(error, sources), form=form)
    return web.redirect(f"{PAGE}/{row_id}?saved=1")


@router.post(PAGE + "/{connection_id}/rotate")
async def rotate_secret(connection_id: str, web: Web) -> Response:
    row_id = require_id(connection_id, not_found=NOT_FOUND)
    async with web.transaction() as (session, actor):
        updated = await check_update_connection(session, actor=actor, rotate_secret=True,
                                                connection=await access_connection(session, actor, row_id),
                                                box=SecretBox.from_settings(web.settings))
        secret = updated.secret
    return await _connection_page(web, row_id, secret=secret)


@router.post(PAGE + "/{connection_id}/delete")
async def delete_connection(connection_id: str, web: Web) -> Response:
    row_id = require_id(connection_id, not_found=NOT_FOUND)
    async with web.transaction() as (session, actor):
        await do_delete_connection(session, actor=actor, connection=await access_connection(session, actor, row_id))
    return web.redirect(f"{PAGE}?deleted=1")

