"""Tickets for opening a live connection from a browser (`?ticket=`): issued over REST to an
authenticated caller, good for one connection within TICKET_LIFETIME, in any server process.

The ticket text is `<organization id>.<random secret>`; only the secret's SHA-256 is stored, so
the table is no use to someone who reads it. Redeeming is one DELETE ... RETURNING: of two
connections racing with the same ticket exactly one gets the row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.refs import parse_id
from tessera.errors import NotAuthenticated
from tessera.live.models import LiveTicket
from tessera.tenancy.actor import Actor
from tessera.tenancy.limits import effective_limits
from tessera.tenancy.models import Organization, User
from tessera.tenancy.secrets import digest, new_opaque_secret

TICKET_LIFETIME = timedelta(seconds=60)
_INVALID = "The live ticket is not valid: it is unknown, used or expired. Ask for a new one."


@dataclass(frozen=True)
class IssuedTicket:
    ticket: str
    expires_at: datetime


async def do_issue_ticket(session: AsyncSession, *, actor: Actor) -> IssuedTicket:
    now = utcnow()
    # Expired tickets of the organization go as new ones come: the table stays small.
    await session.execute(delete(LiveTicket).where(LiveTicket.organization_id == actor.organization_id,
                                                   LiveTicket.expires_at <= now))
    secret = new_opaque_secret()
    expires_at = now + TICKET_LIFETIME
    await session.execute(insert(LiveTicket).values(organization_id=actor.organization_id, ticket_hash=digest(secret),
                                                    user_id=actor.user_id, expires_at=expires_at))
    return IssuedTicket(ticket=f"{actor.organization_id}.{secret}", expires_at=expires_at)


async def redeem_ticket(session: AsyncSession, ticket: str) -> Actor:
    """Consumes the ticket (in the caller's writing transaction) and returns its user as actor."""
    org_text, _, secret = ticket.partition(".")
    organization_id = parse_id(org_text)
    if organization_id is None or not secret or len(ticket) > 200:
        raise NotAuthenticated(_INVALID, code="invalid_ticket")
    row = (await session.execute(
        delete(LiveTicket).where(LiveTicket.organization_id == organization_id,
                                 LiveTicket.ticket_hash == digest(secret))
        .returning(LiveTicket.user_id, LiveTicket.expires_at))).first()
    if row is None or row.expires_at <= utcnow():
        raise NotAuthenticated(_INVALID, code="invalid_ticket")
    found = (await session.execute(select(User, Organization).join(Organization, Organization.id == User.organization_id)
                                   .where(User.organization_id == organization_id, User.id == row.user_id))).first()
    if found is None or not found[0].active:
        raise NotAuthenticated(_INVALID, code="invalid_ticket")
    user, org = found
    return Actor(organization_id=org.id, user_id=user.id, email=user.email, display_name=user.display_name,
                 org_role=user.role, via="ticket", organization_key=org.key,
                 requests_per_minute=effective_limits(org).requests_per_minute, catalog_version=org.catalog_version)
