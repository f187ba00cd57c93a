"""Authentication: API tokens (Bearer or Basic), email + password (Basic), browser sessions."""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import record
from tessera.db.base import utcnow
from tessera.errors import NotAuthenticated
from tessera.events.types import CatalogChanged, DomainEvent, TokenRevoked, UserDeactivated, UserUpdated
from tessera.tenancy.actor import Actor
from tessera.tenancy.limits import effective_limits
from tessera.tenancy.models import CUSTOMER_ROLE, ApiToken, Organization, User, WebSession
from tessera.tenancy.permissions import administers
from tessera.tenancy.secrets import (
    TOKEN_PREFIX,
    digest,
    new_opaque_secret,
    verify_password,
)
from tessera.tenancy.throttle import AttemptGuard


def _actor(user: User, org: Organization, via: str, csrf_token: str | None = None) -> Actor:
    return Actor(organization_id=user.organization_id, user_id=user.id, email=user.email,
                 display_name=user.display_name, org_role=user.role, via=via, csrf_token=csrf_token,
                 organization_key=org.key, requests_per_minute=effective_limits(org).requests_per_minute,
                 searches_per_hour=effective_limits(org).searches_per_hour, catalog_version=org.catalog_version,
                 time_zone=user.time_zone)


# Built once: constructing the statement costs more than running it. Plain columns, not entities:
# every request runs this, and loading ORM objects costs more than the query.
_BY_TOKEN = (select(User.id.label("user_id"), User.organization_id, User.email, User.display_name, User.role,
                    User.active, ApiToken.id.label("token_id"), ApiToken.expires_at, ApiToken.last_used_at,
                    ApiToken.scope.label("token_scope"), Organization.key.label("organization_key"), Organization.catalog_version, Organization.tier,
                    Organization.requests_per_minute, Organization.searches_per_hour, Organization.max_users,
                    Organization.storage_mb)
             .join(ApiToken, ApiToken.user_id == User.id)
             .join(Organization, Organization.id == User.organization_id)
             .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked.is_(False)))
_TOUCH_TOKEN = update(ApiToken.__table__).where(ApiToken.__table__.c.id == bindparam("token_id")).values(
    last_used_at=bindparam("now"))
_TOUCH_SESSION = update(WebSession.__table__).where(WebSession.__table__.c.id == bindparam("session_id")).values(
    last_seen_at=bindparam("now"))
# A token's last use and a session's last sighting are recorded at most this often: a write
# per request would serialize SQLite and cost every request a round trip.
USE_RECORDED_EVERY = timedelta(minutes=1)


# Committed events after which an organization's cached principals may be wrong: a user's role,
# activity or name, a revoked token, the catalogs (whose version an actor carries).
PRINCIPAL_EVENTS: frozenset[type[DomainEvent]] = frozenset({UserUpdated, UserDeactivated, TokenRevoked, CatalogChanged})


class PrincipalCache:
    """API tokens' actors, trusted for `ttl` seconds, so that most requests skip the lookup.

    In the process that commits a change named by PRINCIPAL_EVENTS, the organization's entries
    are dropped at once (`on_commit`, a Database commit listener), before the response is sent;
    other processes trust an entry for at most `ttl` seconds after it was read, the bound a
    revoked token or a demoted user keeps working there. `ttl` 0 turns the cache off. An entry
    also stops at the token's own expiry. Sessions (cookies) are not cached."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._entries: dict[str, tuple[float, datetime | None, Actor]] = {}
        # Counts invalidations: an actor read before one (then put after it) is not cached.
        self.generation = 0

    def get(self, token_hash: str, now: datetime) -> Actor | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        until, token_expires_at, actor = entry
        if time.monotonic() >= until or (token_expires_at is not None and token_expires_at <= now):
            del self._entries[token_hash]
            return None
        # A copy: the permission engine fills project_roles per request.
        return dataclasses.replace(actor, project_roles={}, permission_cache=None)

    def put(self, token_hash: str, actor: Actor, token_expires_at: datetime | None, *, read_in: int) -> None:
        """`read_in`: the generation when the actor was read."""
        if self.ttl <= 0 or read_in != self.generation:
            return
        if len(self._entries) >= self.max_entries:
            self._prune()
        self._entries[token_hash] = (time.monotonic() + self.ttl, token_expires_at,
                                     dataclasses.replace(actor, project_roles={}, permission_cache=None))

    def forget_organizations(self, organization_ids: Iterable[int]) -> None:
        dropped = set(organization_ids)
        if dropped:
            self.generation += 1
            self._entries = {key: entry for key, entry in self._entries.items()
                             if entry[2].organization_id not in dropped}

    def on_commit(self, emitted: list[Any]) -> None:
        """The database's commit listener: never blocks, never fails the request."""
        self.forget_organizations({event.organization_id for event in emitted
                                   if event.event_class in PRINCIPAL_EVENTS})

    def _prune(self) -> None:
        moment = time.monotonic()
        self._entries = {key: entry for key, entry in self._entries.items() if entry[0] > moment}
        if len(self._entries) >= self.max_entries:
            self._entries.clear()


async def _token_refused(guard: AttemptGuard | None, message: str) -> NotAuthenticated:
    """Counts the refusal against the client's address (RateLimited while it is blocked)."""
    if guard is not None:
        await guard.token_failed()
    return NotAuthenticated(message)


@dataclass(frozen=True)
class TokenUse:
    """A token's use that is due to be recorded (at most once a minute), kept for the request's
    write transaction when authentication ran in a read transaction of its own (tessera.edge)."""

    token_id: int
    at: datetime


@dataclass(frozen=True)
class SessionSeen:
    """A browser session's sighting that is due to be recorded, like TokenUse."""

    session_id: int
    at: datetime


CredentialUse = TokenUse | SessionSeen


def _due(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last > USE_RECORDED_EVERY


async def do_record_token_use(session: AsyncSession, *, use: CredentialUse) -> None:
    """Records a token's last use or a session's last sighting."""
    connection = await session.connection()
    if isinstance(use, SessionSeen):
        await connection.execute(_TOUCH_SESSION, {"session_id": use.session_id, "now": use.at})
    else:
        await connection.execute(_TOUCH_TOKEN, {"token_id": use.token_id, "now": use.at})


async def authenticate_token(session: AsyncSession, token: str, *, touch: bool = True,
                             cache: PrincipalCache | None = None, guard: AttemptGuard | None = None,
                             pending: list[CredentialUse] | None = None) -> Actor:
    """`touch` records the token's last use (read-only transactions pass False); a cached actor
    records none, since use is recorded at most once a minute anyway. With `pending` a due use
    is appended there instead, for a later write transaction (do_record_token_use). `guard`
    throttles the client's failures; a valid token never touches it."""
    now = utcnow()
    token_hash = digest(token)
    if cache is not None and (cached := cache.get(token_hash, now)) is not None:
        return cached
    generation = cache.generation if cache is not None else 0
    connection = await session.connection()
    row = (await connection.execute(_BY_TOKEN, {"token_hash": token_hash})).first()
    if row is None:
        raise await _token_refused(guard, "The API token is not valid.")
    if row.expires_at is not None and row.expires_at <= now:
        raise await _token_refused(guard, "The API token has expired.")
    if not row.active:
        raise await _token_refused(guard, "The user is deactivated.")
    if row.role == CUSTOMER_ROLE:
        raise await _token_refused(guard, "Customers cannot sign in.")
    # Record use at most once a minute: a write per request would serialize SQLite.
    if _due(row.last_used_at, now):
        if pending is not None:
            pending.append(TokenUse(row.token_id, now))
        elif touch:
            await do_record_token_use(session, use=TokenUse(row.token_id, now))
    actor = Actor(organization_id=row.organization_id, user_id=row.user_id, email=row.email,
                  display_name=row.display_name, org_role=row.role, via="token", organization_key=row.organization_key,
                  requests_per_minute=effective_limits(row).requests_per_minute,
                  searches_per_hour=effective_limits(row).searches_per_hour, catalog_version=row.catalog_version,
                  token_scope=row.token_scope, token_id=row.token_id)
    # Decided before caching: the cached actor answers is_org_admin without a session.
    await administers(session, actor)
    if cache is not None:
        cache.put(token_hash, actor, row.expires_at, read_in=generation)
    return actor


async def authenticate_password(session: AsyncSession, email: str, password: str,
                                organization_key: str | None = None, *, guard: AttemptGuard | None) -> Actor:
    """Every edge passes its client's `guard` (None only where no client is, as in tests): it
    refuses a locked account before any hash is checked, and counts failures (tenancy.throttle).
    An unknown email costs one Argon2 verification, as a wrong password does (against a dummy
    hash), so timing does not tell which emails exist. Verifications run in a thread: each
    takes tens of milliseconds that the event loop must not wait for."""
    if guard is not None:
        await guard.check_password(email)
    query = (select(User, Organization).join(Organization, Organization.id == User.organization_id)
             .where(User.email == email.strip().lower(), User.active.is_(True), User.role != CUSTOMER_ROLE))
    if organization_key:
        query = query.where(Organization.key == organization_key.strip().upper())
    rows = (await session.execute(query)).all() or [(None, None)]
    candidates = [(user, org) for user, org in rows
                  if await asyncio.to_thread(verify_password, user.password_hash if user else None, password)]
    if not candidates:
        if guard is not None:
            await guard.password_failed(email)
        raise NotAuthenticated("Email or password is incorrect.")
    if guard is not None:
        await guard.password_succeeded(email)
    if len(candidates) > 1:
        raise NotAuthenticated("This email belongs to several organizations: use an API token, "
                               "or name the organization in the X-Tessera-Org header.",
                               code="ambiguous_organization")
    actor = _actor(*candidates[0], "password")
    await administers(session, actor)
    return actor


def cached_token_actor(authorization: str, cache: PrincipalCache | None) -> Actor | None:
    """The actor of an Authorization header's API token (Bearer, or Basic email:token naming the
    token's own email) when `cache` holds it, read with no database session at all; None means
    the credentials must be checked against the database (authenticate_token and
    authenticate_basic do that, with the same cache and the failure throttle)."""
    if cache is None:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    email: str | None = None
    if scheme.lower() == "bearer":
        token = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        email, _, token = decoded.partition(":")
        email = email.strip().lower()
    else:
        return None
    if not token.startswith(TOKEN_PREFIX):
        return None
    actor = cache.get(digest(token), utcnow())
    if actor is None or (email is not None and actor.email != email):
        return None
    return actor


async def authenticate_basic(session: AsyncSession, encoded: str, organization_key: str | None = None,
                             *, touch: bool = True, cache: PrincipalCache | None = None,
                             guard: AttemptGuard | None, pending: list[CredentialUse] | None = None) -> Actor:
    """`encoded` is the base64 part of a Basic header: email:api_token or email:password."""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotAuthenticated("The Basic credentials are not valid base64.") from None
    email, sep, secret = decoded.partition(":")
    if not sep or not email or not secret:
        raise NotAuthenticated("Basic credentials must be email:token or email:password.")
    if secret.startswith(TOKEN_PREFIX):
        actor = await authenticate_token(session, secret, touch=touch, cache=cache, guard=guard, pending=pending)
        if actor.email != email.strip().lower():
            raise await _token_refused(guard, "The API token does not belong to this email.")
        return actor
    return await authenticate_password(session, email, secret, organization_key, guard=guard)


async def authenticate_session(session: AsyncSession, session_secret: str, *,
                               pending: list[CredentialUse] | None = None) -> Actor:
    """A due sighting (at most once a minute) is appended to `pending`, for the request's write
    transaction to record (tessera.edge.context.open_unit_of_work); none is written here."""
    row = (await session.execute(
        select(User, WebSession.csrf_token, WebSession.expires_at, Organization, WebSession.id,
               WebSession.last_seen_at)
        .join(WebSession, WebSession.user_id == User.id)
        .join(Organization, Organization.id == User.organization_id)
        .where(WebSession.session_hash == digest(session_secret))
    )).first()
    now = utcnow()
    if row is None or row[2] <= now or not row[0].active or row[0].role == CUSTOMER_ROLE:
        raise NotAuthenticated("The session has expired; sign in again.")
    if pending is not None and _due(row[5], now):
        pending.append(SessionSeen(row[4], now))
    actor = _actor(row[0], row[3], "session", csrf_token=row[1])
    await administers(session, actor)
    return actor


async def do_create_web_session(session: AsyncSession, *, actor: Actor, ttl: timedelta,
                                user_agent: str | None = None, ip_address: str | None = None) -> str:
    """Returns the secret for the cookie; only its digest is stored. The browser and address
    are kept only to show the user their sessions (tenancy.profile)."""
    secret = new_opaque_secret()
    now = utcnow()
    session.add(WebSession(organization_id=actor.organization_id, user_id=actor.user_id,
                           session_hash=digest(secret), csrf_token=new_opaque_secret(),
                           expires_at=now + ttl, last_seen_at=now,
                           user_agent=(user_agent or "")[:512] or None, ip_address=(ip_address or "")[:64] or None))
    await session.flush()
    record(session, organization_id=actor.organization_id, action="auth.signin", object_type="user",
           object_id=actor.user_id, object_key=actor.email, changes={"via": actor.via},
           actor_user_id=actor.user_id)
    return secret


async def do_end_web_session(session: AsyncSession, *, session_secret: str) -> None:
    ended = (await session.execute(delete(WebSession).where(WebSession.session_hash == digest(session_secret))
                                   .returning(WebSession.organization_id, WebSession.user_id))).first()
    if ended is not None:
        record(session, organization_id=ended.organization_id, action="auth.signout", object_type="user",
               object_id=ended.user_id, actor_user_id=ended.user_id)


async def do_record_signin_failure(session: AsyncSession, *, email: str, organization_key: str | None,
                                   reason: str, locked: bool = False) -> None:
    """A refused password sign-in, in a transaction of its own (the sign-in's rolled back), in
    the organization of every account with this email (of the named organization, if one is
    named), or in the named organization when the email has none there. The client's answer
    does not change either way. An unknown email without an organization belongs to none, so
    no organization's log holds it. `locked`: refused by the lockout (tenancy.throttle) before
    any password was checked, or by the failure that set it (`auth.signin_locked`)."""
    email = email.strip().lower()
    query = select(User.organization_id, User.id).where(User.email == email)
    organization_id = None
    if organization_key:
        organization_id = await session.scalar(select(Organization.id).where(
            Organization.key == organization_key.strip().upper()))
        if organization_id is None:
            return
        query = query.where(User.organization_id == organization_id)
    accounts = (await session.execute(query)).all()
    if not accounts and organization_id is not None:
        accounts = [(organization_id, None)]
    for account_organization_id, user_id in accounts:
        record(session, organization_id=account_organization_id,
               action="auth.signin_locked" if locked else "auth.signin_failed", object_type="user",
               object_id=user_id, object_key=email, changes={"email": email, "known_user": user_id is not None,
                                                             "reason": reason})


async def do_record_token_refusal(session: AsyncSession, *, token: str, reason: str) -> None:
    """A refused API token, in a transaction of its own (authentication's was read-only), in the
    organization of the token: revoked, expired, its user deactivated or a customer, or another
    email's (Basic). A string that is no token of any organization belongs to none, so no
    organization's log holds it (the failure throttle still counts it against the address)."""
    row = (await session.execute(
        select(ApiToken.organization_id, ApiToken.id, ApiToken.user_id, ApiToken.revoked, ApiToken.expires_at,
               User.active, User.role)
        .join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest(token)))).first()
    if row is None:
        return
    if row.revoked:
        reason = "revoked"
    elif row.expires_at is not None and row.expires_at <= utcnow():
        reason = "expired"
    elif not row.active:
        reason = "deactivated"
    elif row.role == CUSTOMER_ROLE:
        reason = "customer"
    record(session, organization_id=row.organization_id, action="auth.token_refused", object_type="api_token",
           object_id=row.id, changes={"reason": reason, "user_id": row.user_id})


async def do_end_user_sessions(session: AsyncSession, *, organization_id: int, user_id: int,
                               keep_secret: str | None = None) -> int:
    """Signs the user out of every browser: when their password changes, they are deactivated
    or they ask to. Sessions are read from the database on every request (never cached), so
    the next request of each browser is refused. API tokens are not sessions: they stay.
    `keep_secret`: the one session to keep (the browser that asked, "everywhere else")."""
    statement = delete(WebSession).where(WebSession.organization_id == organization_id,
                                         WebSession.user_id == user_id)
    if keep_secret is not None:
        statement = statement.where(WebSession.session_hash != digest(keep_secret))
    result = await session.execute(statement)
    ended = int(result.rowcount or 0)
    if ended:
        record(session, organization_id=organization_id, action="auth.sessions_ended", object_type="user",
               object_id=user_id, changes={"sessions": ended})
    return ended
