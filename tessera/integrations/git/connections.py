"""Git connections: organization admins create, list, read, change and delete them.

A connection names its host, optionally one repository, and the rules its projects want for
pull requests. Its secret (given, or generated) is stored encrypted and answered once, when the
connection is created or its secret rotated; the host signs every event with it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import field_changes, record
from tessera.crypto.secret_box import SecretBox
from tessera.db.base import utcnow
from tessera.db.scoped import load_scoped
from tessera.errors import InvalidInput
from tessera.integrations.git.models import PROVIDERS, GitConnection, GitDeliverySeen
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import require_org_admin

MAX_SECRET_CHARS = 255
RULE_EVENTS = ("opened", "merged")
_UNSET: object = object()
# Where a connection's host posts its events (tessera.api.rest.routers.integrations_git serves it).
EVENTS_PATH = "/v2/integrations/git/{connection_id}/events"


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


@dataclass(frozen=True)
class Updated:
    connection: GitConnection
    secret: str | None  # the rotated secret, shown once; None when it was kept


def events_url(base_url: str, connection: GitConnection) -> str:
    """The URL to paste into the host's webhook settings."""
    return base_url.rstrip("/") + EVENTS_PATH.format(connection_id=connection.id)


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
    secret = _secret(spec.secret)
    now = utcnow()
    connection = GitConnection(organization_id=actor.organization_id, provider=spec.provider,
                               name=_text(spec.name, "name", limit=255, required=True),
                               repository=_text(spec.repository, "repository", limit=500, required=False),
                               secret_encrypted=box.encrypt(secret), owner_id=actor.user_id,
                               rules=await _rules(session, actor.organization_id, spec.rules),
                               created_at=now, updated_at=now)
    session.add(connection)
    await session.flush()
    _record(session, actor, connection, "git_connection.created", {**connection_summary(connection),
                                                                   "secret": "set"})
    return Created(connection, secret)


def _record(session: AsyncSession, actor: Actor, connection: GitConnection, action: str,
            changes: dict[str, Any]) -> None:
    record(session, organization_id=connection.organization_id, action=action, object_type="git_connection",
           object_id=connection.id, object_key=connection.name, changes=changes, actor_user_id=actor.user_id)


def _secret(value: object) -> str:
    """A given secret, or a generated one."""
    return _text(value, "secret", limit=MAX_SECRET_CHARS, required=False) or secrets.token_urlsafe(32)


async def check_update_connection(session: AsyncSession, *, actor: Actor, connection: GitConnection, box: SecretBox,
                                  name: object = _UNSET, repository: object = _UNSET, rules: object = _UNSET,
                                  secret: object = _UNSET, rotate_secret: object = False) -> Updated:
    """Only what is given changes; everything is checked before anything is. `repository` None
    (or blank) accepts every repository again; `rules` None clears them. A new secret is `secret`,
    or generated when `rotate_secret` is true; the host must be given it, as events signed with
    the old one are refused from now on."""
    check_admin(actor)
    if not isinstance(rotate_secret, bool):
        raise InvalidInput("'rotate_secret' is true or false.", field="rotate_secret")
    if rotate_secret and secret is not _UNSET:
        raise InvalidInput("Give a new 'secret' or ask for a generated one with 'rotate_secret', not both.",
                           field="rotate_secret")
    values: dict[str, Any] = {}
    if name is not _UNSET:
        values["name"] = _text(name, "name", limit=255, required=True)
    if repository is not _UNSET:
        values["repository"] = _text(repository, "repository", limit=500, required=False)
    if rules is not _UNSET:
        values["rules"] = await _rules(session, actor.organization_id, rules)
    new_secret = None
    if secret is not _UNSET:
        if secret is None or (isinstance(secret, str) and not secret.strip()):
            raise InvalidInput("'secret' is the new secret; to have one generated, send 'rotate_secret': true.",
                               field="secret")
        new_secret = _secret(secret)
    elif rotate_secret:
        new_secret = _secret(None)
    changes = field_changes({attribute: getattr(connection, attribute) for attribute in values}, values)
    for attribute, value in values.items():
        setattr(connection, attribute, value)
    if new_secret is not None:
        connection.secret_encrypted = box.encrypt(new_secret)
        # The audit log says that the secret changed, never what it is (canonical.redact).
        changes["secret"] = {"from": "[redacted]", "to": "[redacted]"}
    if values or new_secret is not None:
        connection.updated_at = utcnow()
        await session.flush()
        _record(session, actor, connection, "git_connection.updated", changes)
    return Updated(connection, new_secret)


async def last_events(session: AsyncSession, *, organization_id: int, connection_ids: list[int]) -> dict[int, datetime]:
    """When each connection last accepted an event (every accepted event's delivery id is
    remembered, tessera.integrations.git.inbound); a connection that never did is absent. One
    subquery per connection, so that each is the last entry of ix_git_deliveries_seen_latest
    (a grouped max would read every delivery the connections ever received)."""
    if not connection_ids:
        return {}
    latest = (select(func.max(GitDeliverySeen.received_at)).where(GitDeliverySeen.connection_id == GitConnection.id)
              .correlate(GitConnection).scalar_subquery())
    rows = await session.execute(select(GitConnection.id, latest).where(
        GitConnection.organization_id == organization_id, GitConnection.id.in_(connection_ids)))
    return {connection_id: received for connection_id, received in rows.all() if received is not None}


async def do_delete_connection(session: AsyncSession, *, actor: Actor, connection: GitConnection) -> None:
    """What it linked goes with it (the rows cascade)."""
    check_admin(actor)
    _record(session, actor, connection, "git_connection.deleted", connection_summary(connection))
    await session.delete(connection)
    await session.flush()


def connection_summary(connection: GitConnection) -> dict[str, Any]:
    return {"id": connection.id, "provider": connection.provider, "name": connection.name,
            "repository": connection.repository, "rules": list(connection.rules or []),
            "owner_id": connection.owner_id}
