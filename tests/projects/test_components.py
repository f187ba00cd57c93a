"""Components and versions of a project, called directly on SQLite and PostgreSQL: names are
required and unique within their project (not across projects), a component's lead is a user of
the organization, a version's dates are dates, only project administrators change them, and a
part of another organization or of a private project is missing."""

from __future__ import annotations

from datetime import date

import pytest

from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tessera.projects.components import (
    access_part,
    check_create_part,
    check_delete_part,
    check_update_part,
    list_parts,
)
from tessera.projects.models import Component, Version
from tessera.projects.service import access_project, check_create_project
from tests.factories.domain import acting_as
from tests.support import OrgHandle, UserHandle, unique_key


async def test_components_are_named_uniquely_within_their_project(database_url: str, org: OrgHandle,
                                                                  member: UserHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=unique_key("C")[:10], name="Parts")
        other = await check_create_project(session, actor=actor, key=unique_key("C")[:10], name="Others")
        core = await check_create_part(session, actor=actor, model=Component, project=project,
                                       values={"name": " Core ", "description": None, "lead_id": member.user_id})
        assert (core.name, core.description, core.lead_id, core.project_id) == ("Core", "", member.user_id, project.id)
        await check_create_part(session, actor=actor, model=Component, project=project, values={"name": "API"})
        assert [part.name for part in await list_parts(session, Component, project)] == ["API", "Core"]
        with pytest.raises(Conflict) as taken:
            await check_create_part(session, actor=actor, model=Component, project=project, values={"name": "Core"})
        assert taken.value.code == "duplicate_name" and taken.value.field == "name"
        assert (await check_create_part(session, actor=actor, model=Component, project=other,
                                        values={"name": "Core"})).project_id == other.id
        for bad in ({}, {"name": "  "}, {"name": "x" * 256}):
            with pytest.raises(InvalidInput) as refused:
                await check_create_part(session, actor=actor, model=Component, project=project, values=bad)
            assert refused.value.field == "name"
        for lead in (987_654_321, "somebody"):
            with pytest.raises(InvalidInput) as no_lead:
                await check_create_part(session, actor=actor, model=Component, project=project,
                                        values={"name": f"Led by {lead}", "lead_id": lead})
            assert no_lead.value.field == "lead_id"


async def test_renaming_keeps_names_unique_and_deleting_removes_the_part(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=unique_key("C")[:10], name="Renames")
        ui = await check_create_part(session, actor=actor, model=Component, project=project, values={"name": "UI"})
        await check_create_part(session, actor=actor, model=Component, project=project, values={"name": "DB"})
        assert (await check_update_part(session, actor=actor, part=ui, project=project,
                                        values={"name": "UI", "description": "Screens"})).description == "Screens"
        with pytest.raises(Conflict):
            await check_update_part(session, actor=actor, part=ui, project=project, values={"name": "DB"})
        renamed = await check_update_part(session, actor=actor, part=ui, project=project,
                                          values={"name": "Frontend", "lead_id": None})
        assert (renamed.name, renamed.lead_id) == ("Frontend", None)
        await check_delete_part(session, actor=actor, part=renamed, project=project)
        assert [part.name for part in await list_parts(session, Component, project)] == ["DB"]
        with pytest.raises(NotFound):
            await access_part(session, actor, Component, renamed.id)


async def test_versions_carry_dates_and_release_flags(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=unique_key("V")[:10], name="Releases")
        version = await check_create_part(session, actor=actor, model=Version, project=project, values={
            "name": "1.0", "start_date": date(2026, 3, 1), "release_date": date(2026, 3, 31), "released": None})
        assert (version.start_date, version.release_date, version.released, version.archived) == (
            date(2026, 3, 1), date(2026, 3, 31), False, False)
        released = await check_update_part(session, actor=actor, part=version, project=project,
                                           values={"released": 1, "archived": "", "release_date": None})
        assert (released.released, released.archived, released.release_date) == (True, False, None)
        for field in ("start_date", "release_date"):
            with pytest.raises(InvalidInput) as refused:
                await check_update_part(session, actor=actor, part=version, project=project,
                                        values={field: "2026-04-01"})
            assert refused.value.field == field


async def test_parts_are_missing_outside_their_organization_and_private_project(
        database_url: str, org: OrgHandle, other_org: OrgHandle, member: UserHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        open_project = await check_create_project(session, actor=actor, key=unique_key("O")[:10], name="Open")
        private = await check_create_project(session, actor=actor, key=unique_key("H")[:10], name="Hidden",
                                             access="private")
        shown = await check_create_part(session, actor=actor, model=Version, project=open_project,
                                        values={"name": "2.0"})
        hidden = await check_create_part(session, actor=actor, model=Component, project=private,
                                         values={"name": "Secret"})
        assert await access_part(session, actor, Version, shown.id) == (shown, open_project)
    async with acting_as(database_url, other_org) as (session, actor):
        for model, part_id in ((Version, shown.id), (Component, hidden.id)):
            with pytest.raises(NotFound):
                await access_part(session, actor, model, part_id)
    async with acting_as(database_url, member) as (session, actor):
        with pytest.raises(NotFound):
            await access_part(session, actor, Component, hidden.id)
        version, project = await access_part(session, actor, Version, shown.id)
        assert version.name == "2.0"
        with pytest.raises(PermissionDenied):
            await check_update_part(session, actor=actor, part=version, project=project, values={"name": "3.0"})
        with pytest.raises(PermissionDenied):
            await check_create_part(session, actor=actor, model=Component, project=await access_project(
                session, actor, open_project.id), values={"name": "Mine"})
        with pytest.raises(PermissionDenied):
            await check_delete_part(session, actor=actor, part=version, project=project)
