"""Invitations by email (tenancy.invitations): the invitation link goes out through the
delivery engine's email channel like every other mail, so it is retried, logged with the
deliveries and sent by the worker, never from the administrator's request.

The link's secret is stored only as a digest with the invitation; the delivery's payload
carries it sealed (crypto.secret_box) until the sender opens it. At send time the sender asks
whether the invitation is still usable: a link replaced by a newer invitation, revoked, accepted
or expired in the meantime is not sent (dead, "no longer usable")."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.crypto.secret_box import SecretBox, UnreadableSecret
from tessera.db.base import utcnow
from tessera.delivery.engine import ClaimedDelivery, NewDelivery, Outcome, enqueue
from tessera.delivery.models import Channel
from tessera.notifications.email.message import OutgoingMail, message_id, render_pair, sender_address, serialize
from tessera.tenancy.invitations import INVITATION_DAYS, NewInvitation
from tessera.tenancy.models import Invitation
from tessera.tenancy.secrets import digest

KIND = "invitation"
EVENT_TYPE = "user_invited"
NO_LONGER_USABLE = "no longer usable: the invitation was replaced, revoked, accepted or has expired"


def invitation_link(settings: Settings, secret: str) -> str:
    """Where the invited person joins (tessera.web.invitation serves /invite/{secret})."""
    return f"{settings.base_url.rstrip('/')}/invite/{secret}"


async def do_mail_invitation(session: AsyncSession, settings: Settings, *, invited: NewInvitation,
                             organization_name: str, inviter_name: str) -> bool:
    """Enqueue the invitation's mail in the caller's transaction; False when the server has no
    SMTP server configured (the administrator passes the link on)."""
    if not settings.smtp_url:
        return False
    user = invited.user
    payload: dict[str, Any] = {
        "kind": KIND, "recipient_id": user.id, "organization": organization_name, "inviter": inviter_name,
        "sealed_secret": SecretBox.from_settings(settings).encrypt(invited.secret)}
    await enqueue(session, [NewDelivery(
        organization_id=user.organization_id, channel=Channel.EMAIL, target=user.email, target_id=user.id,
        idempotency_key=f"invitation:{user.organization_id}:{digest(invited.secret)}", payload=payload,
        event_type=EVENT_TYPE)])
    return True


def is_invitation(delivery: ClaimedDelivery) -> bool:
    return delivery.payload.get("kind") == KIND


async def compose_invitations(session: AsyncSession, settings: Settings,
                              deliveries: list[ClaimedDelivery]) -> list[OutgoingMail | Outcome]:
    """One mail (or the dead outcome of a link no longer usable) per delivery, in order."""
    box = SecretBox.from_settings(settings)
    secrets: list[str | None] = []
    for delivery in deliveries:
        try:
            secrets.append(box.decrypt(str(delivery.payload.get("sealed_secret") or "")))
        except UnreadableSecret:
            secrets.append(None)
    digests = {digest(secret) for secret in secrets if secret}
    usable = set((await session.scalars(select(Invitation.token_hash).where(
        Invitation.token_hash.in_(sorted(digests)), Invitation.accepted_at.is_(None),
        Invitation.expires_at > utcnow()))).all()) if digests else set()
    composed: list[OutgoingMail | Outcome] = []
    for delivery, secret in zip(deliveries, secrets, strict=True):
        if secret is None:
            composed.append(Outcome.failed("the invitation link cannot be decrypted with the server's keys",
                                           retry=False))
        elif digest(secret) not in usable:
            composed.append(Outcome.failed(NO_LONGER_USABLE, retry=False))
        else:
            composed.append(_compose(delivery, settings, invitation_link(settings, secret)))
    return composed


def _compose(delivery: ClaimedDelivery, settings: Settings, link: str) -> OutgoingMail:
    organization = str(delivery.payload.get("organization") or "Tessera")
    inviter = str(delivery.payload.get("inviter") or "An administrator")
    subject = " ".join(f"{inviter} invites you to {organization} on Tessera".split())[:200]
    context = dict(subject=subject, organization=organization, inviter=inviter, link=link, days=INVITATION_DAYS)
    text, html = render_pair("invitation", context)
    ident = message_id(settings, delivery)
    # No List-Unsubscribe: this is one mail a person's administrator asked for, not a subscription.
    headers = [("From", sender_address(settings)), ("To", delivery.target), ("Subject", subject),
               ("Date", format_datetime(utcnow())), ("Message-ID", ident), ("Auto-Submitted", "auto-generated"),
               ("X-Auto-Response-Suppress", "All"), ("X-Tessera-Delivery", delivery.idempotency_key)]
    return OutgoingMail(delivery.target, serialize(headers, text=text, html=html, ident=ident))
