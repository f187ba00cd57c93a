"""Organizations, users and tokens: the tenancy actions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.audit.chain import field_changes, record
from tessera.db.base import utcnow
from tessera.db.insert_ignoring import insert_ignoring
from tessera.db.scoped import load_scoped
from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from tessera.events.outbox import emit
from tessera.events.types import CatalogChanged, TokenRevoked, UserDeactivated, UserUpdated
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import do_end_user_sessions
from tessera.tenancy.limits import effective_limits
from tessera.tenancy.models import CUSTOMER_ROLE, ORG_ROLES, ApiToken, Organization, User
from tessera.tenancy.permissions import Permission, authorize, do_seed_permissions, has_global_permission
from tessera.tenancy.secrets import digest, hash_password, new_api_token
from tessera.tenancy.time_zones import check_time_zone
from tessera.tenancy.token_scopes import check_scope_name

ORG_KEY = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
EMAIL = re.compile(r"^[^@\s]{1,200}@[^@\s]{1,118}$")
MAX_TOKEN_DAYS = 3650


@dataclass(frozen=True)
class NewUser:
    user: User
    api_token: str | None


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"'{email[:100]}' is not a valid email address.", field="email")
    return email


def _check_role(role: str) -> str:
    if role not in ORG_ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(ORG_ROLES)}.", field="role")
    return role


async def get_organization_by_key(session: AsyncSession, key: str) -> Organization | None:
    return await session.scalar(select(Organization).where(Organization.key == key.strip().upper()))


async def load_organization_by_key(session: AsyncSession, key: str) -> Organization:
    org = await get_organization_by_key(session, key)
    if org is None:
        raise NotFound(f"Organization '{key}' does not exist.")
    return org


async def check_add_organization(session: AsyncSession, *, key: str, name: str) -> Organization:
    """Validates the key (normalized to capitals) and the name, and that the key is free."""
    key = key.strip().upper()
    if not ORG_KEY.match(key):
        raise InvalidInput("An organization key is 2-32 capital letters, digits or underscores, "
                           "starting with a letter.", field="key")
    if not name or not name.strip() or len(name) > 255:
        raise InvalidInput("An organization needs a name of at most 255 characters.", field="name")
    if await get_organization_by_key(session, key) is not None:
        raise Conflict(f"An organization with key '{key}' already exists.", code="duplicate_key")
    return await do_add_organization(session, key=key, name=name.strip())


async def do_add_organization(session: AsyncSession, *, key: str, name: str) -> Organization:
    organization = Organization(key=key, name=name, settings={})
    session.add(organization)
    await session.flush()
    await do_seed_permissions(session, organization.id)
    return organization


def check_password_strength(password: str, *, field: str = "password") -> str:
    """The one rule every password meets, wherever it is set (API, pages, CLI)."""
    if not (8 <= len(password) <= 1024):
        raise InvalidInput("A password has 8 to 1024 characters.", field=field)
    return password


async def check_issue_api_token(session: AsyncSession, actor: Actor, *, user: User, name: str,
                                scope: str | None, expires_in_days: int | None = None) -> str:
    """A scoped token (tenancy.token_scopes) is an organization administrator's to make: the
    scopes grant machine uses, such as posting CI builds, that members do not have.
    `expires_in_days`: None for a token that never expires."""
    check_scope_name(scope)
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise InvalidInput("A token needs a name of at most 255 characters.", field="name")
    if expires_in_days is not None and not (1 <= expires_in_days <= MAX_TOKEN_DAYS):
        raise InvalidInput(f"A token expires in 1 to {MAX_TOKEN_DAYS} days, or never.", field="expires_in_days")
    if user.role == CUSTOMER_ROLE:
        raise InvalidInput("A customer cannot sign in, so has no API tokens.", field="user_id")
    if scope is not None and not actor.is_org_admin:
        raise PermissionDenied("Only an organization administrator may create a scoped API token.")
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    return await issue_api_token(session, user=user, name=name, scope=scope, expires_at=expires_at)


async def issue_api_token(session: AsyncSession, *, user: User, name: str = "default", scope: str | None = None,
                          expires_at: datetime | None = None) -> str:
    token = new_api_token()
    api_token = ApiToken(organization_id=user.organization_id, user_id=user.id, name=name[:255],
                         token_hash=digest(token), prefix=token[:12], scope=scope, expires_at=expires_at)
    session.add(api_token)
    await session.flush()
    record(session, organization_id=user.organization_id, action="api_token.created", object_type="api_token",
           object_id=api_token.id, object_key=api_token.name,
           changes={"user_id": user.id, "name": api_token.name, "scope": scope})
    return token


async def check_create_user(session: AsyncSession, *, organization: Organization, email: str,
                            display_name: str, password: str | None = None, role: str = "member",
                            with_token: bool = True) -> NewUser:
    email = normalize_email(email)
    role = _check_role(role)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 255:
        raise InvalidInput("A user needs a display name of at most 255 characters.", field="name")
    if password is not None:
        check_password_strength(password)
    taken = await session.scalar(select(User.role).where(
        User.organization_id == organization.id, User.email == email))
    if taken == CUSTOMER_ROLE:
        raise Conflict(f"'{email}' is a customer of this organization: change their role to make them a member.",
                       code="duplicate_email")
    if taken is not None:
        raise Conflict(f"A user with email '{email}' already exists in this organization.", code="duplicate_email")
    await check_seat_free(session, organization)
    return await do_create_user(session, organization=organization, email=email, display_name=display_name,
                                password=password, role=role, with_token=with_token)


async def seats_taken(session: AsyncSession, organization_id: int) -> int:
    """Active users other than customers take the organization's seats (max_users)."""
    return await session.scalar(select(func.count()).select_from(User).where(
        User.organization_id == organization_id, User.active.is_(True), User.role != CUSTOMER_ROLE)) or 0


async def check_seat_free(session: AsyncSession, organization: Organization) -> None:
    limits = effective_limits(organization)
    if await seats_taken(session, organization.id) >= limits.max_users:
        raise QuotaExceeded(f"The organization has reached its limit of {limits.max_users} users.")


async def do_create_user(session: AsyncSession, *, organization: Organization, email: str, display_name: str,
                         password: str | None, role: str, with_token: bool) -> NewUser:
    user = User(organization_id=organization.id, email=email, display_name=display_name, role=role,
                password_hash=hash_password(password) if password else None, active=True)
    session.add(user)
    await session.flush()
    record(session, organization_id=organization.id, action="user.created", object_type="user", object_id=user.id,
           object_key=email, changes={"email": email, "display_name": display_name, "role": role,
                                      "password": "set" if password else None})
    token = await issue_api_token(session, user=user) if with_token else None
    return NewUser(user=user, api_token=token)


async def do_add_customer(session: AsyncSession, *, organization_id: int, email: str, display_name: str) -> User:
    """The organization's user with this (normalized) address, added as a customer when there is
    none. Another transaction adding the same address a moment before is no error (the row is
    read back), and the row read back may be a member's or an inactive one: callers check."""
    connection = await session.connection()
    now = utcnow()
    await connection.execute(insert_ignoring(connection.dialect.name, User.__table__,
                                             index_elements=["organization_id", "email"]).values(
        organization_id=organization_id, email=email, display_name=display_name[:255] or email,
        password_hash=None, role=CUSTOMER_ROLE, active=True, time_zone="UTC", created_at=now, updated_at=now))
    user = await session.scalar(select(User).where(User.organization_id == organization_id, User.email == email))
    assert user is not None
    return user


async def access_user(session: AsyncSession, actor: Actor, user_ref: int) -> User:
    return await load_scoped(session, User, organization_id=actor.organization_id, row_id=user_ref,
                             missing="User not found.")


async def list_users(session: AsyncSession, actor: Actor, *, query: str | None = None, start_at: int = 0,
                     max_results: int = 50) -> tuple[list[User], int]:
    await authorize(session, actor, Permission.USER_PICKER)
    conditions = [User.organization_id == actor.organization_id, User.role != CUSTOMER_ROLE]
    if query:
        pattern = f"%{query.strip().lower()}%"
        conditions.append(func.lower(User.display_name).like(pattern) | User.email.like(pattern))
    total = await session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
    users = (await session.scalars(select(User).where(*conditions).order_by(User.display_name, User.id)
                                   .offset(start_at).limit(max_results))).all()
    return list(users), total


async def picker_users(session: AsyncSession, actor: Actor, *, max_results: int) -> list[User]:
    """The users a page's picker offers: none to whoever may not browse users (USER_PICKER)."""
    if not await has_global_permission(session, actor, Permission.USER_PICKER):
        return []
    return (await list_users(session, actor, max_results=max_results))[0]


async def organization_keys(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """id -> key, for an operator's view across organizations (`tessera deliveries list`)."""
    if not ids:
        return {}
    rows = await session.execute(select(Organization.id, Organization.key).where(Organization.id.in_(ids)))
    return {row_id: key for row_id, key in rows.all()}


async def users_by_id(session: AsyncSession, organization_id: int, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    rows = await session.scalars(select(User).where(User.organization_id == organization_id, User.id.in_(ids)))
    return {user.id: user for user in rows}


async def check_update_user(session: AsyncSession, actor: Actor, user: User, *, display_name: str | None = None,
                            role: str | None = None, active: bool | None = None,
                            password: str | None = None, time_zone: str | None = None) -> User:
    if user.id == actor.user_id and (active is False or (role is not None and role != user.role)):
        # Whoever could do this locks themselves out; the last administrator, the whole organization.
        raise InvalidInput("You cannot deactivate yourself or change your own role: ask another administrator.",
                           field="active" if active is False else "role")
    renamed = False
    before = {"display_name": user.display_name, "role": user.role, "active": user.active,
              "time_zone": user.time_zone}
    if time_zone is not None:
        user.time_zone = check_time_zone(time_zone)
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 255:
            raise InvalidInput("A user needs a display name of at most 255 characters.", field="name")
        renamed = display_name != user.display_name
        user.display_name = display_name
    access_changed = (role is not None and _check_role(role) != user.role) or (
        active is not None and active != user.active)
    if role is not None:
        if user.role == CUSTOMER_ROLE and user.active:  # a customer made a member takes a seat now
            organization = await session.get(Organization, user.organization_id)
            assert organization is not None
            await check_seat_free(session, organization)
        user.role = _check_role(role)
    if active and not user.active and user.role != CUSTOMER_ROLE:  # a reactivated user takes a seat again
        organization = await session.get(Organization, user.organization_id)
        assert organization is not None
        await check_seat_free(session, organization)
    if active is not None:
        user.active = active
    if password is not None:
        check_password_strength(password)
        user.password_hash = hash_password(password)
    if password is not None or active is False:
        # A new password or a deactivation ends every browser session of the user: whoever
        # signed in with the old password (or before the deactivation) must not stay signed in.
        await do_end_user_sessions(session, organization_id=user.organization_id, user_id=user.id)
    await session.flush()
    changes = field_changes(before, {"display_name": user.display_name, "role": user.role, "active": user.active,
                                     "time_zone": user.time_zone})
    if password is not None:
        changes["password"] = {"from": "[redacted]", "to": "[redacted]"}
    if changes:
        # The user_updated event below says who the user is now; this says what changed, and a
        # password change, which emits no event.
        record(session, organization_id=user.organization_id, action="user.changed", object_type="user",
               object_id=user.id, object_key=user.email, changes=changes, actor_user_id=actor.user_id)
    if access_changed or renamed:
        # Live subscriptions re-check access at once on this event instead of at their cache's expiry;
        # caches of authenticated principals (which carry the name) drop the organization's entries.
        changed = UserDeactivated if active is False else UserUpdated
        await emit(session, changed(user_id=user.id, role=user.role, active=user.active),
                   organization_id=user.organization_id, aggregate_id=user.id, actor_id=actor.user_id)
    return user


async def access_token_owner(session: AsyncSession, actor: Actor, user_ref: int) -> User:
    """A user whose API tokens the actor may list and revoke: themselves, or anyone of the
    organization for its administrators."""
    user = await access_user(session, actor, user_ref)
    if user.id != actor.user_id and not actor.is_org_admin:
        raise PermissionDenied("Only the token's owner or an organization administrator may see or revoke it.")
    return user


async def list_tokens(session: AsyncSession, *, owner: User) -> Sequence[ApiToken]:
    return (await session.scalars(select(ApiToken).where(
        ApiToken.organization_id == owner.organization_id, ApiToken.user_id == owner.id)
        .order_by(ApiToken.id))).all()


async def do_revoke_token(session: AsyncSession, actor: Actor, *, owner: User, token_id: int) -> None:
    """`owner` comes from access_token_owner. The revocation holds from the commit on: the
    token_revoked event drops the organization's cached principals (tenancy.auth.PrincipalCache)."""
    result = await session.execute(update(ApiToken).where(
        ApiToken.organization_id == owner.organization_id, ApiToken.user_id == owner.id,
        ApiToken.id == token_id).values(revoked=True))
    if result.rowcount != 1:
        raise NotFound("Token not found.")
    await emit(session, TokenRevoked(user_id=owner.id, token_id=token_id), organization_id=owner.organization_id,
               aggregate_id=owner.id, actor_id=actor.user_id)


async def do_bump_catalog_version(session: AsyncSession, organization_id: int) -> None:
    """Call in the same transaction as any change to an organization's catalogs. The event tells
    caches of authenticated principals, which carry the version, to read it again."""
    await session.execute(update(Organization).where(Organization.id == organization_id)
                          .values(catalog_version=Organization.catalog_version + 1))
    await emit(session, CatalogChanged(organization_id=organization_id), organization_id=organization_id,
               aggregate_id=organization_id, actor_id=None)
