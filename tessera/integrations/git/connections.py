"""Git connections: organization admins create, list, read and delete them.

A connection names its host, optionally one repository, and the rules its projects want for
pull requests. Its secret (given, or generated) is stored encrypted and answered once, when the
connection is created; the host signs every event with it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.crypto.secret_box import SecretBox
from tessera.db.base import utcnow
from tessera.db.scoped import load_scoped
from tessera.errors import InvalidInput
from tessera.integrations.git.models import PROVIDERS, GitConnection
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import require_org_admin

MAX_SECRET_CHARS = 255
RULE_EVENTS = ("opened", "merged")


@dataclass(frozen=True)
class ConnectionSpec:
    provider: object = None
    name: object = None
    secret: object = None
    repository: object = None
    rules: object = None


@dataclass(frozen=True)
class Created:
    connection: GitConnection
    secret: str  # shown once


def check_admin(actor: Actor) -> None:
    require_org_admin(actor, "Only organization administrators manage Git connections.")


async def access_connection(session: AsyncSession, actor: Actor, connection_id: object) -> GitConnection:
    check_admin(actor)
    return await load_scoped(session, GitConnection, organization_id=actor.organization_id, row_id=connection_id,
                             missing="Git connection not found.")


async def list_connections(session: AsyncSession, actor: Actor) -> list[GitConnection]:
    check_admin(actor)
    return list((await session.scalars(select(GitConnection).where(
        GitConnection.organization_id == actor.organization_id).order_by(GitConnection.id))).all())


def _text(value: object, field: str, *, limit: int, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"A Git connection needs '{field}'.", field=field)
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise InvalidInput(f"'{field}' is text of at most {limit} characters.", field=field)
    return value.strip()


async def _rules(session: AsyncSession, organization_id: int, value: object) -> list[dict[str, str]]:
    """[{"project": "PROJ", "on": "opened"|"merged", "transition": "In Review"}]; the project must
    be one of the organization's (the transition is looked up when a pull request arrives, from
    the issue's status then)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 100:
        raise InvalidInput("'rules' is a list of at most 100 rules.", field="rules")
    keys = set((await session.scalars(select(Project.key).where(Project.organization_id == organization_id))).all())
    rules = []
    for index, rule in enumerate(value):
        where = f"rules[{index}]"
        if not isinstance(rule, dict) or set(rule) - {"project", "on", "transition"}:
            raise InvalidInput(f"{where} is {{'project', 'on', 'transition'}}.", field=where)
        project = _text(rule.get("project"), f"{where}.project", limit=32, required=True)
        if project is None or project.upper() not in keys:
            raise InvalidInput(f"{where}.project: no project '{project}'.", field=f"{where}.project")
        if rule.get("on") not in RULE_EVENTS:
            raise InvalidInput(f"{where}.on is one of {', '.join(RULE_EVENTS)}.", field=f"{where}.on")
        transition = _text(rule.get("transition"), f"{where}.transition", limit=255, required=True)
        rules.append({"project": project.upper(), "on": str(rule["on"]), "transition": str(transition)})
    return rules


async def check_create_connection(session: AsyncSession, *, actor: Actor, spec: ConnectionSpec,
                                  box: SecretBox) -> Created:
    check_admin(actor)
    if spec.provider not in PROVIDERS:
        raise InvalidInput(f"'provider' is one of {', '.join(PROVIDERS)}.", field="provider")
    secret = _text(spec.secret, "secret", limit=MAX_SECRET_CHARS, required=False) or secrets.token_urlsafe(32)
    now = utcnow()
    connection = GitConnection(organization_id=actor.organization_id, provider=spec.provider,
                               name=_text(spec.name, "name", limit=255, required=True),
                               repository=_text(spec.repository, "repository", limit=500, required=False),
                               secret_encrypted=box.encrypt(secret), owner_id=actor.user_id,
                               rules=await _rules(session, actor.organization_id, spec.rules),
                               created_at=now, updated_at=now)
    session.add(connection)
    await session.flush()
    return Created(connection, secret)


async def do_delete_connection(session: AsyncSession, *, actor: Actor, connection: GitConnection) -> None:
    """What it linked goes with it (the rows cascade)."""
    check_admin(actor)
    await session.delete(connection)
    await session.flush()


def connection_summary(connection: GitConnection) -> dict[str, Any]:
    return {"id": connection.id, "provider": connection.provider, "name": connection.name,
            "repository": connection.repository, "rules": list(connection.rules or []),
            "owner_id": connection.owner_id}
