"""Invitations called directly, on SQLite and PostgreSQL: the invited user is inactive and takes
no seat; the link works once and not after it expires or is replaced; joining takes a seat, so
a full organization refuses it; reactivating someone takes a seat again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from tessera.db.base import utcnow
from tessera.errors import InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from tessera.tenancy.invitations import (
    access_invitation,
    check_accept_invitation,
    check_invite_user,
    check_reinvite_user,
    pending_user_ids,
)
from tessera.tenancy.limits import check_set_limits
from tessera.tenancy.models import Invitation
from tessera.tenancy.secrets import verify_password
from tessera.tenancy.service import check_update_user, load_organization_by_key, seats_taken
from tests.factories.domain import acting_as
from tests.support import OrgHandle, make_user_async


async def test_invite_then_join(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        new = await check_invite_user(session, actor=actor, email=" Zoe@Example.test ", role="viewer")
        assert (new.user.email, new.user.display_name, new.user.active, new.user.password_hash) == (
            "zoe@example.test", "Zoe", False, None)
        assert await seats_taken(session, org.organization_id) == 1  # the admin only
        assert await pending_user_ids(session, organization_id=org.organization_id, user_ids=[new.user.id]) == {
            new.user.id}
        with pytest.raises(InvalidInput) as weak:
            await check_accept_invitation(session, secret=new.secret, display_name="Zoe Z", password="short")
        assert weak.value.field == "password"
        user, organization = await check_accept_invitation(session, secret=new.secret, display_name=" Zoe Z ",
                                                           password="long enough")
        assert user.active and user.display_name == "Zoe Z" and verify_password(user.password_hash, "long enough")
        assert organization.key == org.key and await seats_taken(session, org.organization_id) == 2
        assert await pending_user_ids(session, organization_id=org.organization_id, user_ids=[user.id]) == set()
        with pytest.raises(NotFound):
            await access_invitation(session, new.secret)  # once
        with pytest.raises(InvalidInput):
            await check_reinvite_user(session, actor=actor, user=user)  # joined: nothing pending


async def test_expired_replaced_and_full(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        first = await check_invite_user(session, actor=actor, email="late@example.test")
        second = await check_reinvite_user(session, actor=actor, user=first.user)
        with pytest.raises(NotFound):
            await access_invitation(session, first.secret)  # replaced
        await session.execute(update(Invitation).where(Invitation.user_id == first.user.id)
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
        with pytest.raises(NotFound):
            await access_invitation(session, second.secret)  # expired
        third = await check_reinvite_user(session, actor=actor, user=first.user)
        organization = await load_organization_by_key(session, org.key)
        await check_set_limits(session, organization=organization, max_users=1)
        with pytest.raises(QuotaExceeded):
            await check_accept_invitation(session, secret=third.secret, display_name="Late", password="long enough")
        for bad in ("", "x" * 200, "not-a-secret"):
            with pytest.raises(NotFound):
                await access_invitation(session, bad)


async def test_only_admins_invite_and_reactivation_takes_a_seat(database_url: str, org: OrgHandle) -> None:
    member = await make_user_async(database_url, org)
    async with acting_as(database_url, member) as (session, actor):
        with pytest.raises(PermissionDenied):
            await check_invite_user(session, actor=actor, email="nope@example.test")
    async with acting_as(database_url, org) as (session, actor):
        someone = await check_invite_user(session, actor=actor, email="gone@example.test")
        await check_accept_invitation(session, secret=someone.secret, display_name="Gone", password="long enough")
        await check_update_user(session, actor, someone.user, active=False)
        organization = await load_organization_by_key(session, org.key)
        await check_set_limits(session, organization=organization, max_users=2)  # the admin and the member
        with pytest.raises(QuotaExceeded):
            await check_update_user(session, actor, someone.user, active=True)
