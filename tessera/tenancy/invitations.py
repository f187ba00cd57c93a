"""Inviting people by email: an administrator names them and their role; they exist at once,
inactive and without a password (so they hold no seat and cannot sign in), and the invitation
link's secret lets them choose a name and password, which activates them.

The secret is returned once, to be shown to the administrator or mailed; only its digest is
stored. A new invitation for the same person replaces the old one (its link stops working)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.base import utcnow
from tessera.errors import InvalidInput, NotFound
from tessera.events.outbox import emit
from tessera.events.types import UserUpdated
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Invitation, Organization, User
from tessera.tenancy.org_settings import access_organization, organization_defaults
from tessera.tenancy.permissions import Permission, authorize
from tessera.tenancy.secrets import digest, hash_password, new_opaque_secret
from tessera.tenancy.service import check_create_user, check_password_strength, check_seat_free, normalize_email

INVITATION_DAYS = 14
UNUSABLE = "This invitation link is not valid: it was used, replaced or has expired. Ask an administrator for a new one."


@dataclass(frozen=True)
class NewInvitation:
    user: User
    secret: str


async def check_invite_user(session: AsyncSession, *, actor: Actor, email: str, display_name: str = "",
                            role: str | None = None) -> NewInvitation:
    """`role` None: the organization's default role (tenancy.org_settings)."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    organization = await access_organization(session, actor)
    defaults = organization_defaults(organization)
    email = normalize_email(email)
    name = (display_name or "").strip() or email.split("@")[0].replace(".", " ").title()
    new = await check_create_user(session, organization=organization, email=email, display_name=name,
                                  password=None, role=role or defaults.role, with_token=False)
    new.user.active = False
    new.user.time_zone = defaults.time_zone
    await session.flush()
    return NewInvitation(user=new.user, secret=await do_invite(session, actor=actor, user=new.user))


async def check_reinvite_user(session: AsyncSession, *, actor: Actor, user: User) -> NewInvitation:
    """Only someone who never joined may be invited (again): one whose invitation is pending or
    was revoked, or who was imported without a way in. An active user, or one deactivated after
    joining, is not."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    if not never_joined(user):
        raise InvalidInput(f"{user.email} has joined already: there is nothing to invite them to.", field="user_id")
    return NewInvitation(user=user, secret=await do_invite(session, actor=actor, user=user))


async def check_revoke_invitation(session: AsyncSession, *, actor: Actor, user: User) -> None:
    """The pending invitation's link stops working at once (the person stays, inactive and
    holding no seat, and may be invited again)."""
    await authorize(session, actor, Permission.ADMINISTER_ORGANIZATION)
    if user.id not in await pending_user_ids(session, organization_id=user.organization_id, user_ids=[user.id]):
        raise InvalidInput(f"{user.email} has no pending invitation.", field="user_id")
    await session.execute(delete(Invitation).where(
        Invitation.organization_id == user.organization_id, Invitation.user_id == user.id,
        Invitation.accepted_at.is_(None)))
    record(session, organization_id=user.organization_id, action="user.invitation_revoked", object_type="user",
           object_id=user.id, object_key=user.email, changes={})


def never_joined(user: User) -> bool:
    """Invited and not accepted, revoked, or imported: inactive and without a password."""
    return not user.active and user.password_hash is None


async def do_invite(session: AsyncSession, *, actor: Actor, user: User) -> str:
    await session.execute(update(Invitation).where(
        Invitation.organization_id == user.organization_id, Invitation.user_id == user.id,
        Invitation.accepted_at.is_(None)).values(expires_at=utcnow()))
    secret = new_opaque_secret()
    session.add(Invitation(organization_id=user.organization_id, user_id=user.id, invited_by_id=actor.user_id,
                           token_hash=digest(secret), expires_at=utcnow() + timedelta(days=INVITATION_DAYS)))
    await session.flush()
    record(session, organization_id=user.organization_id, action="user.invited", object_type="user",
           object_id=user.id, object_key=user.email, changes={"role": user.role})
    return secret


async def pending_user_ids(session: AsyncSession, *, organization_id: int, user_ids: Iterable[int]) -> set[int]:
    """Of these users, those who were invited and never accepted."""
    wanted = list(user_ids)
    if not wanted:
        return set()
    rows = await session.scalars(select(Invitation.user_id).join(User, User.id == Invitation.user_id).where(
        Invitation.organization_id == organization_id, Invitation.user_id.in_(wanted),
        Invitation.accepted_at.is_(None), User.active.is_(False), User.password_hash.is_(None)))
    return set(rows.all())


async def access_invitation(session: AsyncSession, secret: str) -> tuple[Invitation, User, Organization]:
    """By the link's secret, from any organization (the link is the credential); a used,
    replaced or expired one is NotFound."""
    if not secret or len(secret) > 128:
        raise NotFound(UNUSABLE)
    invitation = await session.scalar(select(Invitation).where(Invitation.token_hash == digest(secret)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= utcnow():
        raise NotFound(UNUSABLE)
    user = await session.get(User, invitation.user_id)
    organization = await session.get(Organization, invitation.organization_id)
    assert user is not None and organization is not None
    return invitation, user, organization


async def check_accept_invitation(session: AsyncSession, *, secret: str, display_name: str,
                                  password: str) -> tuple[User, Organization]:
    invitation, user, organization = await access_invitation(session, secret)
    name = (display_name or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("Your name is needed, at most 255 characters.", field="name")
    check_password_strength(password)
    await check_seat_free(session, organization)
    user.display_name = name
    user.password_hash = hash_password(password)
    user.active = True
    invitation.accepted_at = utcnow()
    await session.flush()
    record(session, organization_id=organization.id, action="user.joined", object_type="user", object_id=user.id,
           object_key=user.email, changes={"display_name": name}, actor_user_id=user.id)
    # Cached principals and live subscriptions learn of the activation at once.
    await emit(session, UserUpdated(user_id=user.id, role=user.role, active=True), organization_id=organization.id,
               aggregate_id=user.id, actor_id=user.id)
    return user, organization
