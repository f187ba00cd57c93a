"""The projects service called directly, on SQLite and PostgreSQL: creating a project checks its
key, name and choices and makes its lead an administrator; lookups by id, prefixed id or key stay
inside the organization; private projects answer like missing ones; updates refuse key changes
and stale versions (409, or 412 through If-Match); role members are checked users, once each;
every change leaves its event in the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from tessera.events.models import OutboxEvent
from tessera.projects.models import Project
from tessera.projects.service import (
    access_project,
    check_create_project,
    check_set_role_members,
    check_update_project,
    get_project,
    list_projects,
    list_role_members,
)
from tests.factories.domain import acting_as
from tests.support import OrgHandle, UserHandle, unique_key


def new_key() -> str:
    return unique_key("P")[:10]


async def events_of(session: AsyncSession, project: Project) -> list[tuple[str, dict]]:
    found = await session.scalars(select(OutboxEvent).where(
        OutboxEvent.organization_id == project.organization_id, OutboxEvent.aggregate_type == "project",
        OutboxEvent.aggregate_id == project.id).order_by(OutboxEvent.id))
    return [(event.event_type, event.payload) for event in found]


async def test_a_new_project_has_its_creator_as_lead_and_administrator(database_url: str, org: OrgHandle) -> None:
    key = new_key()
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=f" {key.lower()} ", name="  Apollo  ")
        assert (project.key, project.name, project.project_type, project.access) == (key, "Apollo", "software", "open")
        assert project.lead_id == actor.user_id and project.version == 1 and project.issue_counter == 0
        roles = await list_role_members(session, actor=actor, project=project)
        assert roles["administrators"] == [actor.user_id]
        assert await events_of(session, project) == [
            ("project_created", {"project_id": project.id, "project_key": key, "user_id": actor.user_id})]


@pytest.mark.parametrize(("values", "field"), [
    ({"key": "A"}, "key"), ({"key": "1AB"}, "key"), ({"key": "ABCDEFGHIJK"}, "key"), ({"key": "AB-C"}, "key"),
    ({"name": "   "}, "name"), ({"project_type": "kanban"}, "project_type"), ({"access": "secret"}, "access"),
    ({"lead_id": 987_654_321}, "lead_id"), ({"lead_id": "nobody"}, "lead_id"),
])
async def test_a_project_that_cannot_be_is_refused_naming_the_field(database_url: str, org: OrgHandle,
                                                                    values: dict, field: str) -> None:
    async with acting_as(database_url, org) as (session, actor):
        with pytest.raises(InvalidInput) as refused:
            await check_create_project(session, actor=actor, **{"key": new_key(), "name": "Name", **values})
        assert refused.value.field == field


async def test_keys_are_unique_per_organization(database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    key = new_key()
    async with acting_as(database_url, org) as (session, actor):
        await check_create_project(session, actor=actor, key=key, name="First")
        with pytest.raises(Conflict) as taken:
            await check_create_project(session, actor=actor, key=key.lower(), name="Second")
        assert taken.value.code == "duplicate_key" and taken.value.field == "key"
    async with acting_as(database_url, other_org) as (session, actor):
        assert (await check_create_project(session, actor=actor, key=key, name="Elsewhere")).key == key


async def test_only_organization_administrators_create_projects(database_url: str, member: UserHandle) -> None:
    async with acting_as(database_url, member) as (session, actor):
        with pytest.raises(PermissionDenied):
            await check_create_project(session, actor=actor, key=new_key(), name="Not mine")


async def test_a_project_is_found_by_id_prefixed_id_or_key_in_its_organization_only(
        database_url: str, org: OrgHandle, other_org: OrgHandle) -> None:
    key = new_key()
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=key, name="Findable")
        for ref in (project.id, str(project.id), f"proj_{project.id}", key, f" {key.lower()} "):
            assert (await get_project(session, org.organization_id, ref)) is project, ref
        for ref in ("", "   ", None, 987_654_321, "NOPE42"):
            assert await get_project(session, org.organization_id, ref) is None, ref
        assert await get_project(session, other_org.organization_id, project.id) is None
        assert await get_project(session, other_org.organization_id, key) is None
    async with acting_as(database_url, other_org) as (session, actor):
        with pytest.raises(NotFound):
            await access_project(session, actor, project.id)


async def test_a_private_project_is_missing_to_those_outside_it(database_url: str, org: OrgHandle,
                                                                member: UserHandle, viewer: UserHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        private = await check_create_project(session, actor=actor, key=new_key(), name="Hidden", access="private")
        public = await check_create_project(session, actor=actor, key=new_key(), name="Seen")
        archived = await check_create_project(session, actor=actor, key=new_key(), name="Old")
        await check_update_project(session, actor=actor, project=archived, changes={"archived": True},
                                   expected_version=None)
        await check_set_role_members(session, actor=actor, project=private, role="users", user_ids=[viewer.user_id])
        listed = {p.id for p in await list_projects(session, actor)}
        assert {private.id, public.id} <= listed and archived.id not in listed
        assert archived.id in {p.id for p in await list_projects(session, actor, include_archived=True)}
    async with acting_as(database_url, member) as (session, actor):
        with pytest.raises(NotFound):
            await access_project(session, actor, private.id)
        assert (await access_project(session, actor, public.key)).id == public.id
        assert private.id not in {p.id for p in await list_projects(session, actor)}
    async with acting_as(database_url, viewer) as (session, actor):
        assert (await access_project(session, actor, private.key)).id == private.id


async def test_an_update_bumps_the_version_and_says_what_changed(database_url: str, org: OrgHandle,
                                                                 member: UserHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=new_key(), name="Before")
        updated = await check_update_project(
            session, actor=actor, project=project, expected_version=1,
            changes={"name": " After ", "description": None, "project_type": "Business", "access": "private",
                     "lead_id": member.user_id, "key": project.key.lower()})
        assert (updated.name, updated.description, updated.project_type, updated.access, updated.lead_id,
                updated.version) == ("After", "", "business", "private", member.user_id, 2)
        unchanged = await check_update_project(session, actor=actor, project=project, changes={},
                                               expected_version=2)
        assert unchanged.version == 2
        assert [(kind, payload.get("changed")) for kind, payload in await events_of(session, project)] == [
            ("project_created", None),
            ("project_updated", ["access", "description", "lead_id", "name", "project_type"])]


async def test_an_update_refuses_key_changes_blank_names_and_stale_versions(database_url: str,
                                                                            org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=new_key(), name="Steady")
        for changes, field in (({"key": "OTHER"}, "key"), ({"name": " "}, "name"), ({"access": "x"}, "access"),
                               ({"lead_id": 987_654_321}, "lead_id")):
            with pytest.raises(InvalidInput) as refused:
                await check_update_project(session, actor=actor, project=project, changes=changes,
                                           expected_version=None)
            assert refused.value.field == field
        with pytest.raises(Conflict) as stale:
            await check_update_project(session, actor=actor, project=project, changes={"name": "New"},
                                       expected_version=7)
        assert not isinstance(stale.value, PreconditionFailed) and stale.value.data == {"current_version": 1}
        with pytest.raises(PreconditionFailed):
            await check_update_project(session, actor=actor, project=project, changes={"name": "New"},
                                       expected_version=7, via_if_match=True)
        assert project.version == 1 and project.name == "Steady"


async def test_only_project_administrators_update_it(database_url: str, org: OrgHandle, member: UserHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=new_key(), name="Guarded")
    async with acting_as(database_url, member) as (session, actor):
        mine = await access_project(session, actor, project.id)
        with pytest.raises(PermissionDenied):
            await check_update_project(session, actor=actor, project=mine, changes={"name": "Taken"},
                                       expected_version=None)
        with pytest.raises(PermissionDenied):
            await check_set_role_members(session, actor=actor, project=mine, role="users", user_ids=[])


async def test_role_members_are_existing_users_once_each(database_url: str, org: OrgHandle, member: UserHandle,
                                                         viewer: UserHandle, other_org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=new_key(), name="Roles")
        wanted = await check_set_role_members(session, actor=actor, project=project, role="developers",
                                              user_ids=[member.user_id, str(viewer.user_id), member.user_id])
        assert wanted == [member.user_id, viewer.user_id]
        roles = await list_role_members(session, actor=actor, project=project)
        assert sorted(roles["developers"]) == sorted(wanted) and roles["administrators"] == [actor.user_id]
        assert await check_set_role_members(session, actor=actor, project=project, role="developers",
                                            user_ids=[viewer.user_id]) == [viewer.user_id]
        assert (await list_role_members(session, actor=actor, project=project))["developers"] == [viewer.user_id]
        with pytest.raises(InvalidInput) as bad_role:
            await check_set_role_members(session, actor=actor, project=project, role="owners", user_ids=[])
        assert bad_role.value.field == "role"
        with pytest.raises(InvalidInput) as stranger:
            await check_set_role_members(session, actor=actor, project=project, role="users",
                                         user_ids=[other_org.admin_user_id])
        assert stranger.value.field == "user_ids"
        changes = [payload for kind, payload in await events_of(session, project) if kind == "project_roles_changed"]
        assert changes == [{"project_id": project.id, "role": "developers", "user_ids": wanted},
                           {"project_id": project.id, "role": "developers", "user_ids": [viewer.user_id]}]
