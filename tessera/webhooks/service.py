"""Registering webhooks: organization admins create, read, change and delete them.

Transports translate their shapes into a `WebhookSpec` and call these; every function checks
the actor is an organization admin (others: PermissionDenied) and reaches only the actor's
organization (another organization's webhook is NotFound, exactly like a missing id)."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import field_changes, record
from tessera.crypto.secret_box import SecretBox
from tessera.db.base import utcnow
from tessera.db.scoped import load_scoped, save_versioned
from tessera.delivery.models import Channel, Delivery, DeliveryState
from tessera.delivery.outbound_http import public_only
from tessera.errors import Conflict, InvalidInput
from tessera.jql.search import plan_query
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import require_org_admin
from tessera.webhooks.event_names import check_event_names
from tessera.webhooks.models import Webhook

MAX_SECRET_CHARS = 255


@dataclass(frozen=True)
class WebhookSpec:
    """What a client may set; None leaves a value as it is (on update) or takes the default."""

    name: str | None = None
    url: str | None = None
    events: list[Any] | None = None
    jql: str | None = None
    enabled: bool | None = None
    exclude_body: bool | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Registered:
    webhook: Webhook
    # The plaintext secret, only right after creation (shown once).
    secret: str | None = None


def check_admin(actor: Actor) -> None:
    require_org_admin(actor, "Only organization administrators manage webhooks.")


async def access_webhook(session: AsyncSession, actor: Actor, webhook_id: object) -> Webhook:
    check_admin(actor)
    return await load_scoped(session, Webhook, organization_id=actor.organization_id, row_id=webhook_id,
                             missing="Webhook not found.")


async def list_webhooks(session: AsyncSession, actor: Actor) -> list[Webhook]:
    check_admin(actor)
    return list((await session.scalars(select(Webhook).where(Webhook.organization_id == actor.organization_id)
                                       .order_by(Webhook.id))).all())


def check_url(url: object, *, allow_private: bool) -> str:
    """http(s) with a host; a literal loopback/private/link-local address is refused now (names
    are resolved, and refused if need be, on every send)."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("A webhook needs a url.", field="url")
    url = url.strip()
    if len(url) > 2000:
        raise InvalidInput("The url is longer than 2000 characters.", field="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise InvalidInput("The url is not a valid URL.", field="url") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput("The url must be an http:// or https:// URL with a host.", field="url")
    if not allow_private:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if (address is not None and not public_only(address)) or host.lower() in ("localhost", "localhost."):
            raise InvalidInput(f"The url points at a private or local address ({host}); webhooks are sent to "
                               "public addresses only.", field="url", code="outbound_refused")
    return url


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("A webhook needs a name.", field="name")
    if len(value.strip()) > 255:
        raise InvalidInput("The name is longer than 255 characters.", field="name")
    return value.strip()


async def check_jql(session: AsyncSession, actor: Actor, jql: object) -> str:
    """Empty matches every issue; otherwise the query must parse and validate (400 with the
    position of the error)."""
    if jql is None:
        return ""
    if not isinstance(jql, str):
        raise InvalidInput("The JQL filter is text.", field="jql")
    if len(jql) > 20_000:
        raise InvalidInput("The JQL filter is longer than 20000 characters.", field="jql")
    if jql.strip():
        await plan_query(session, actor=actor, jql=jql)
    return jql.strip()


def _secret(value: object) -> str:
    if value is None or value == "":
        return secrets.token_urlsafe(32)
    if not isinstance(value, str) or len(value) > MAX_SECRET_CHARS:
        raise InvalidInput(f"The secret is text of at most {MAX_SECRET_CHARS} characters.", field="secret")
    return value


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"'{field}' is true or false.", field=field)
    return value


def _events(value: object) -> list[str]:
    if not isinstance(value, list):
        raise InvalidInput("'events' is a list of event names.", field="events")
    return check_event_names(value)


async def check_create_webhook(session: AsyncSession, *, actor: Actor, spec: WebhookSpec, box: SecretBox,
                               allow_private: bool) -> Registered:
    check_admin(actor)
    secret = _secret(spec.secret)
    now = utcnow()
    webhook = Webhook(organization_id=actor.organization_id, name=_name(spec.name),
                      url=check_url(spec.url, allow_private=allow_private),
                      events=_events(spec.events if spec.events is not None else []),
                      jql=await check_jql(session, actor, spec.jql),
                      enabled=True if spec.enabled is None else _flag(spec.enabled, "enabled"),
                      exclude_body=False if spec.exclude_body is None else _flag(spec.exclude_body, "excludeBody"),
                      secret_encrypted=box.encrypt(secret), owner_id=actor.user_id, consecutive_failures=0,
                      version=1, created_at=now, updated_at=now)
    session.add(webhook)
    await session.flush()
    _record(session, actor, webhook, "webhook.created", {name: getattr(webhook, name) for name in AUDITED_FIELDS})
    return Registered(webhook, secret)


async def check_update_webhook(session: AsyncSession, *, actor: Actor, webhook: Webhook, spec: WebhookSpec,
                               box: SecretBox, allow_private: bool, version: int | None = None) -> Webhook:
    """Changes what `spec` sets. `version`: the version the client read (a lost update is a
    Conflict). Enabling a webhook again clears its failure count and disabled reason."""
    check_admin(actor)
    if version is not None and version != webhook.version:
        raise Conflict("The webhook was changed since you read it; reload it.", code="version_conflict")
    values: dict[str, Any] = {}
    if spec.name is not None:
        values["name"] = _name(spec.name)
    if spec.url is not None:
        values["url"] = check_url(spec.url, allow_private=allow_private)
    if spec.events is not None:
        values["events"] = _events(spec.events)
    if spec.jql is not None:
        values["jql"] = await check_jql(session, actor, spec.jql)
    if spec.exclude_body is not None:
        values["exclude_body"] = _flag(spec.exclude_body, "excludeBody")
    if spec.secret is not None:
        values["secret_encrypted"] = box.encrypt(_secret(spec.secret))
    if spec.enabled is not None:
        values.update(_enabled_values(webhook, _flag(spec.enabled, "enabled")))
    if values:
        changes = field_changes({name: getattr(webhook, name) for name in values}, values)
        await save_versioned(session, webhook, values, conflict="The webhook was changed at the same time; reload it.")
        await session.refresh(webhook)
        _record(session, actor, webhook, "webhook.updated", changes)
    return webhook


# What a webhook's audit records show of it (its secret only as "[redacted]").
AUDITED_FIELDS = ("name", "url", "events", "jql", "enabled", "exclude_body", "secret_encrypted")


def _record(session: AsyncSession, actor: Actor, webhook: Webhook, action: str, changes: dict[str, Any]) -> None:
    record(session, organization_id=webhook.organization_id, action=action, object_type="webhook",
           object_id=webhook.id, object_key=webhook.name, changes=changes, actor_user_id=actor.user_id)


def _enabled_values(webhook: Webhook, enabled: bool) -> dict[str, Any]:
    if enabled and not webhook.enabled:
        return {"enabled": True, "consecutive_failures": 0, "disabled_reason": None, "disabled_at": None}
    if not enabled and webhook.enabled:
        return {"enabled": False, "disabled_at": utcnow(), "disabled_reason": "Disabled by an administrator."}
    return {}


async def do_set_enabled(session: AsyncSession, *, actor: Actor, webhook: Webhook, enabled: bool) -> Webhook:
    check_admin(actor)
    values = _enabled_values(webhook, enabled)
    if values:
        changes = field_changes({name: getattr(webhook, name) for name in values}, values)
        await save_versioned(session, webhook, values, conflict="The webhook was changed at the same time; reload it.")
        await session.refresh(webhook)
        _record(session, actor, webhook, "webhook.enabled" if enabled else "webhook.disabled", changes)
    return webhook


async def do_delete_webhook(session: AsyncSession, *, actor: Actor, webhook: Webhook) -> None:
    """Its deliveries still to be sent become dead now, and all of them let go of its id: SQLite
    reuses the highest id after a delete, and a new webhook must not inherit another's queue
    (signed with its own secret) or history. One already being sent fails at send time."""
    check_admin(actor)
    scope = (Delivery.organization_id == webhook.organization_id, Delivery.channel == Channel.WEBHOOK.value,
             Delivery.target_id == webhook.id)
    await session.execute(update(Delivery).where(*scope, Delivery.state.in_([DeliveryState.PENDING.value,
                                                                            DeliveryState.FAILED.value]))
                          .values(state=DeliveryState.DEAD.value, last_error="The webhook was deleted; not sent.",
                                  updated_at=utcnow()).execution_options(synchronize_session=False))
    await session.execute(update(Delivery).where(*scope).values(target_id=None)
                          .execution_options(synchronize_session=False))
    _record(session, actor, webhook, "webhook.deleted", {name: getattr(webhook, name) for name in AUDITED_FIELDS})
    await session.delete(webhook)
    await session.flush()
