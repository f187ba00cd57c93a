"""Push subscriptions: what a browser's PushSubscription.toJSON() registers, for the signed-in
user, and its removal (by the user, or by the sender when the push service says it is gone)."""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.base import utcnow
from tessera.errors import InvalidInput, NotFound
from tessera.notifications.push.models import PushSubscription
from tessera.notifications.push.vapid import b64url_decode
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User

MAX_ENDPOINT = 2000


@dataclass(frozen=True)
class SubscriptionInput:
    endpoint: str
    p256dh: str
    auth: str


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()


def _key_bytes(value: str, *, field: str, length: int) -> bytes:
    try:
        raw = b64url_decode(value.strip())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != length:
        raise InvalidInput(f"{field} must be the base64url encoding of {length} bytes.", field=field)
    return raw


def validate_subscription(data: SubscriptionInput, *, allow_http: bool) -> SubscriptionInput:
    """The endpoint must be an https URL (push services are; plain http only where outbound
    private addresses are allowed, for local test receivers); p256dh a P-256 public key as an
    uncompressed point (65 bytes, on the curve) and auth a 16-byte secret, both base64url (RFC 8291)."""
    endpoint = data.endpoint.strip()
    parts = urlsplit(endpoint)
    schemes = ("https", "http") if allow_http else ("https",)
    if len(endpoint) > MAX_ENDPOINT or parts.scheme not in schemes or not parts.hostname:
        raise InvalidInput("endpoint must be the push service's https URL.", field="endpoint")
    point = _key_bytes(data.p256dh, field="keys.p256dh", length=65)
    try:  # a point off the curve would fail every encryption later, silently
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise InvalidInput("keys.p256dh must be an uncompressed P-256 public key.", field="keys.p256dh") from None
    _key_bytes(data.auth, field="keys.auth", length=16)
    return SubscriptionInput(endpoint=endpoint, p256dh=data.p256dh.strip(), auth=data.auth.strip())


async def check_subscribe(session: AsyncSession, *, actor: Actor, data: SubscriptionInput,
                          allow_http: bool) -> PushSubscription:
    """Registers the browser for the actor. The same endpoint again (the browser renewed its keys,
    or another user of the organization signed in on it) replaces the row: a browser is notified
    for whoever subscribed it last."""
    valid = validate_subscription(data, allow_http=allow_http)
    digest = endpoint_hash(valid.endpoint)
    row = await session.scalar(select(PushSubscription).where(
        PushSubscription.organization_id == actor.organization_id, PushSubscription.endpoint_hash == digest))
    if row is None:
        row = PushSubscription(organization_id=actor.organization_id, user_id=actor.user_id, endpoint=valid.endpoint,
                               endpoint_hash=digest, p256dh=valid.p256dh, auth=valid.auth, created_at=utcnow())
        session.add(row)
    else:
        row.user_id, row.p256dh, row.auth = actor.user_id, valid.p256dh, valid.auth
    await session.flush()
    return row


async def list_subscriptions(session: AsyncSession, *, actor: Actor) -> Sequence[PushSubscription]:
    return (await session.scalars(select(PushSubscription).where(
        PushSubscription.organization_id == actor.organization_id, PushSubscription.user_id == actor.user_id)
        .order_by(PushSubscription.id))).all()


async def check_unsubscribe(session: AsyncSession, *, actor: Actor, subscription_id: int | None = None,
                            endpoint: str | None = None) -> None:
    """Removes one of the actor's own subscriptions, by id or endpoint; NotFound otherwise
    (another user's looks exactly like one that does not exist)."""
    if subscription_id is None and not endpoint:
        raise InvalidInput("Name the subscription by id or endpoint.", field="endpoint")
    query = delete(PushSubscription).where(PushSubscription.organization_id == actor.organization_id,
                                           PushSubscription.user_id == actor.user_id)
    if subscription_id is not None:
        query = query.where(PushSubscription.id == subscription_id)
    else:
        query = query.where(PushSubscription.endpoint_hash == endpoint_hash((endpoint or "").strip()))
    result = await session.execute(query.execution_options(synchronize_session=False))
    if not result.rowcount:
        raise NotFound("No such push subscription.")
    record(session, organization_id=actor.organization_id, action="push_subscription.deleted", object_type="user",
           object_id=actor.user_id)


async def subscriptions_of(session: AsyncSession, organization_id: int,
                           user_ids: Sequence[int]) -> dict[int, list[PushSubscription]]:
    """The browsers of those users who are still active (a deactivated user's browsers stay
    registered but receive nothing)."""
    found: dict[int, list[PushSubscription]] = {}
    if not user_ids:
        return found
    rows = await session.scalars(select(PushSubscription).join(User, User.id == PushSubscription.user_id).where(
        PushSubscription.organization_id == organization_id, PushSubscription.user_id.in_(sorted(set(user_ids))),
        User.organization_id == organization_id, User.active.is_(True))
        .order_by(PushSubscription.id))
    for row in rows:
        found.setdefault(row.user_id, []).append(row)
    return found


async def do_record_results(session: AsyncSession, *, succeeded: Sequence[int], gone: Sequence[int]) -> None:
    """After a send: stamp the subscriptions that accepted, drop those their service says are gone."""
    if succeeded:
        await session.execute(update(PushSubscription).where(PushSubscription.id.in_(sorted(set(succeeded))))
                              .values(last_success_at=utcnow()).execution_options(synchronize_session=False))
    if gone:
        await session.execute(delete(PushSubscription).where(PushSubscription.id.in_(sorted(set(gone))))
                              .execution_options(synchronize_session=False))
