"""The tenancy service called directly, on SQLite and PostgreSQL: organization keys and user
emails are checked and unique where they must be, users carry a role of the organization, its
users quota holds, updates that change access or a name announce themselves (deactivation and a
new password also end browser sessions), and API tokens are listed and revoked by their owner
or an administrator."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from tessera.events.models import OutboxEvent
from tessera.tenancy.limits import check_set_limits
from tessera.tenancy.secrets import digest, verify_password
from tessera.tenancy.service import (
    access_token_owner,
    access_user,
    check_add_organization,
    check_create_user,
    check_update_user,
    do_revoke_token,
    list_tokens,
    list_users,
    load_organization_by_key,
    normalize_email,
    users_by_id,
)
from tests.factories.domain import acting_as
from tests.support import OrgHandle, UserHandle, unique_key


async def user_events(session: AsyncSession, organization_id: int, user_id: int) -> list[tuple[str, dict]]:
    found = await session.scalars(select(OutboxEvent).where(
        OutboxEvent.organization_id == organization_id, OutboxEvent.aggregate_type == "user",
        OutboxEvent.aggregate_id == user_id).order_by(OutboxEvent.id))
    return [(event.event_type, event.payload) for event in found]


def test_emails_are_trimmed_and_lowered_or_refused() -> None:
    assert normalize_email("  Ann.Lee+work@Example.COM ") == "ann.lee+work@example.com"
    for bad in ("", "   ", "ann", "ann@@example.com", "ann lee@example.com", "@example.com", "ann@"):
        with pytest.raises(InvalidInput) as refused:
            normalize_email(bad)
        assert refused.value.field == "email"


async def test_organization_keys_are_checked_and_unique(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, _actor):
        key = unique_key("T")
        made = await check_add_organization(session, key=f" {key.lower()} ", name=" Tenant ")
        assert (made.key, made.name) == (key, "Tenant")
        assert (await load_organization_by_key(session, key.lower())).id == made.id
        with pytest.raises(Conflict) as taken:
            await check_add_organization(session, key=key, name="Again")
        assert taken.value.code == "duplicate_key"
        for bad_key, bad_name, field in (("1ABC", "Name", "key"), ("A", "Name", "key"), ("AB-C", "Name", "key"),
                                         ("A" * 33, "Name", "key"), (unique_key("T"), " ", "name"),
                                         (unique_key("T"), "x" * 256, "name")):
            with pytest.raises(InvalidInput) as refused:
                await check_add_organization(session, key=bad_key, name=bad_name)
            assert refused.value.field == field
        with pytest.raises(NotFound):
            await load_organization_by_key(session, unique_key("NONE"))


async def test_a_new_user_is_checked_unique_and_within_the_quota(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, _actor):
        organization = await load_organization_by_key(session, org.key)
        new = await check_create_user(session, organization=organization, email=" Bo@Example.test ",
                                      display_name=" Bo ", password="long enough", role="viewer")
        assert (new.user.email, new.user.display_name, new.user.role, new.user.active) == (
            "bo@example.test", "Bo", "viewer", True)
        assert verify_password(new.user.password_hash, "long enough") and new.api_token is not None
        [token] = await list_tokens(session, owner=new.user)
        assert token.token_hash == digest(new.api_token) and token.prefix == new.api_token[:12]
        quiet = await check_create_user(session, organization=organization, email="quiet@example.test",
                                        display_name="Quiet", with_token=False)
        assert quiet.api_token is None and quiet.user.password_hash is None and quiet.user.role == "member"
        with pytest.raises(Conflict) as taken:
            await check_create_user(session, organization=organization, email="BO@example.test", display_name="Bo 2")
        assert taken.value.code == "duplicate_email"
        refusals = ((dict(email="nope"), "email"), (dict(role="owner"), "role"), (dict(display_name=" "), "name"),
                    (dict(display_name="x" * 256), "name"), (dict(password="short"), "password"),
                    (dict(password="x" * 1025), "password"))
        for changes, field in refusals:
            values = {"email": f"{unique_key('u').lower()}@example.test", "display_name": "Someone", **changes}
            with pytest.raises(InvalidInput) as refused:
                await check_create_user(session, organization=organization, **values)
            assert refused.value.field == field, changes
        await check_set_limits(session, organization=organization, max_users=3)
        with pytest.raises(QuotaExceeded):
            await check_create_user(session, organization=organization, email="fourth@example.test",
                                    display_name="Fourth")


async def test_users_are_listed_searched_and_found_in_their_organization(database_url: str, org: OrgHandle,
                                                                        other_org: OrgHandle, member: UserHandle,
                                                                        viewer: UserHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        users, total = await list_users(session, actor)
        assert total == 3 and {u.id for u in users} == {org.admin_user_id, member.user_id, viewer.user_id}
        assert [u.id for u in (await list_users(session, actor, query=member.email[:8].upper()))[0]] == [member.user_id]
        page, total = await list_users(session, actor, start_at=1, max_results=1)
        assert total == 3 and len(page) == 1 and page[0].id == users[1].id
        assert set(await users_by_id(session, org.organization_id, {member.user_id, other_org.admin_user_id})) == {
            member.user_id}
        assert await users_by_id(session, org.organization_id, set()) == {}
        with pytest.raises(NotFound):
            await access_user(session, actor, other_org.admin_user_id)


async def test_updates_that_change_access_or_names_announce_themselves(database_url: str, org: OrgHandle,
                                                                       member: UserHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        user = await access_user(session, actor, member.user_id)
        await check_update_user(session, actor, user, display_name=user.display_name, role="member")
        assert await user_events(session, org.organization_id, member.user_id) == []
        await check_update_user(session, actor, user, display_name=" Renamed ", role="viewer")
        assert user.display_name == "Renamed" and user.role == "viewer"
        await check_update_user(session, actor, user, password="a new password")
        assert verify_password(user.password_hash, "a new password")
        await check_update_user(session, actor, user, active=False)
        assert await user_events(session, org.organization_id, member.user_id) == [
            ("user_updated", {"user_id": member.user_id, "role": "viewer", "active": True}),
            ("user_deactivated", {"user_id": member.user_id, "role": "viewer", "active": False})]
        for changes, field in ((dict(display_name=" "), "name"), (dict(role="root"), "role"),
                               (dict(password="short"), "password")):
            with pytest.raises(InvalidInput) as refused:
                await check_update_user(session, actor, user, **changes)
            assert refused.value.field == field


async def test_tokens_are_seen_and_revoked_by_their_owner_or_an_administrator(database_url: str, org: OrgHandle,
                                                                             member: UserHandle,
                                                                             viewer: UserHandle) -> None:
    async with acting_as(database_url, member) as (session, actor):
        owner = await access_token_owner(session, actor, member.user_id)
        [token] = await list_tokens(session, owner=owner)
        with pytest.raises(PermissionDenied):
            await access_token_owner(session, actor, viewer.user_id)
    async with acting_as(database_url, org) as (session, actor):
        owner = await access_token_owner(session, actor, member.user_id)
        await do_revoke_token(session, actor, owner=owner, token_id=token.id)
        [revoked] = await list_tokens(session, owner=owner)
        assert revoked.revoked is True
        viewers = await access_token_owner(session, actor, viewer.user_id)
        with pytest.raises(NotFound):
            await do_revoke_token(session, actor, owner=viewers, token_id=token.id)
        assert (await user_events(session, org.organization_id, member.user_id))[-1] == (
            "token_revoked", {"user_id": member.user_id, "token_id": token.id})
