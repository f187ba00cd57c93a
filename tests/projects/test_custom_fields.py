"""Custom fields called directly on SQLite and PostgreSQL: every organization starts with Story
Points and Sprint; a definition's key, type, options and scope are checked when it is made;
definitions are found by key, name, id or Jira's customfield_ id; and a client's value becomes
typed rows for each field type, or an error naming where it was sent."""

from __future__ import annotations

from datetime import date

import pytest

from tessera.errors import Conflict, InvalidInput, PermissionDenied
from tessera.projects.custom_fields import (
    TEXT_MAX,
    TypedValue,
    check_add_option,
    check_create_field,
    coerce_value,
    find_definition,
    list_field_definitions,
    list_options,
)
from tessera.projects.service import check_create_project
from tests.factories.domain import acting_as
from tests.support import OrgHandle, UserHandle, unique_key


async def test_an_organization_starts_with_story_points_and_sprint(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, _actor):
        defaults = {d.key: d.field_type for d in await list_field_definitions(session, org.organization_id)}
        assert defaults == {"story_points": "number", "sprint": "sprint"}


async def test_a_field_is_checked_when_it_is_made(database_url: str, org: OrgHandle, other_org: OrgHandle,
                                                  member: UserHandle) -> None:
    async with acting_as(database_url, other_org) as (session, actor):
        foreign = await check_create_project(session, actor=actor, key=unique_key("F")[:10], name="Theirs")
    async with acting_as(database_url, org) as (session, actor):
        project = await check_create_project(session, actor=actor, key=unique_key("F")[:10], name="Ours")
        severity = await check_create_field(session, actor=actor, key=None, name="  Root cause! ", field_type="select",
                                            options=[" Bug ", "Config"], project_ids=[project.id])
        assert (severity.key, severity.name, severity.project_ids) == ("root_cause", "Root cause!", [project.id])
        options = (await list_options(session, org.organization_id, [severity.id]))[severity.id]
        assert [(o.value, o.position) for o in options] == [("Bug", 0), ("Config", 1)]
        refusals = [
            (dict(name=" "), "name"), (dict(name="x" * 256), "name"), (dict(key="Bad Key"), "key"),
            (dict(field_type="colour"), "field_type"), (dict(field_type="select"), "options"),
            (dict(field_type="multi_select", options=["a", "a"]), "options"),
            (dict(field_type="select", options=["a", " "]), "options"),
            (dict(project_ids=[foreign.id]), "project_ids"), (dict(project_ids=[987_654_321]), "project_ids"),
            (dict(issue_type_ids=[987_654_321]), "issue_type_ids"),
        ]
        for changes, field in refusals:
            values = {"key": None, "name": f"Field {unique_key()}", "field_type": "text", **changes}
            with pytest.raises(InvalidInput) as refused:
                await check_create_field(session, actor=actor, **values)
            assert refused.value.field == field, changes
        for key, name in ((None, "ROOT CAUSE!"), ("root_cause", "Other name")):
            with pytest.raises(Conflict) as taken:
                await check_create_field(session, actor=actor, key=key, name=name, field_type="text")
            assert taken.value.code == "duplicate_name"
    async with acting_as(database_url, member) as (session, actor):
        with pytest.raises(PermissionDenied):
            await check_create_field(session, actor=actor, key=None, name="Mine", field_type="text")


async def test_options_are_added_to_select_fields_only_once_each(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        choice = await check_create_field(session, actor=actor, key=None, name="Channel", field_type="multi_select",
                                          options=["Web"])
        added = await check_add_option(session, actor=actor, definition=choice, value=" Mail ")
        assert (added.value, added.position) == ("Mail", 1)
        with pytest.raises(Conflict):
            await check_add_option(session, actor=actor, definition=choice, value="WEB")
        with pytest.raises(InvalidInput) as blank:
            await check_add_option(session, actor=actor, definition=choice, value="  ")
        assert blank.value.field == "value"
        text = await check_create_field(session, actor=actor, key=None, name="Notes", field_type="text")
        with pytest.raises(InvalidInput) as not_select:
            await check_add_option(session, actor=actor, definition=text, value="A")
        assert not_select.value.field == "field_type"


async def test_definitions_are_found_by_key_name_id_or_jira_id(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, _actor):
        definitions = await list_field_definitions(session, org.organization_id)
        points = next(d for d in definitions if d.key == "story_points")
        for ref in ("story_points", " story points ", "STORY POINTS", str(points.id), f"customfield_{10_000 + points.id}"):
            assert find_definition(definitions, ref) is points, ref
        for ref in (f" {points.id}", "customfield_", "customfield_x", "points", "0"):
            assert find_definition(definitions, ref) is None, ref


async def test_values_become_typed_rows_or_errors_naming_where(database_url: str, org: OrgHandle,
                                                               other_org: OrgHandle, member: UserHandle) -> None:
    async with acting_as(database_url, org) as (session, actor):
        fields = {kind: await check_create_field(session, actor=actor, key=None, name=f"{kind} {unique_key()}",
                                                 field_type=kind, options=["Low", "High", "Off"] if "select" in kind else ())
                  for kind in ("number", "text", "date", "select", "multi_select", "user", "sprint")}
        options = await list_options(session, org.organization_id, [f.id for f in fields.values()])
        low, high, off = options[fields["select"].id]
        off.disabled = True
        many = options[fields["multi_select"].id]

        async def coerce(kind: str, value: object) -> list[TypedValue]:
            return await coerce_value(session, organization_id=org.organization_id, definition=fields[kind],
                                      options=options[fields[kind].id] if kind.endswith("select") else [],
                                      value=value, where=f"custom_fields.{kind}")

        for kind in fields:
            for empty in (None, "", []):
                assert await coerce(kind, empty) == []
        assert await coerce("number", "3.5") == [TypedValue(number=3.5, display="3.5")]
        assert await coerce("text", "Hello") == [TypedValue(text="Hello", display="Hello")]
        assert await coerce("date", "2026-03-05T10:00:00Z") == [TypedValue(day=date(2026, 3, 5), display="2026-03-05")]
        assert await coerce("date", date(2026, 1, 2)) == [TypedValue(day=date(2026, 1, 2), display="2026-01-02")]
        assert await coerce("select", " high ") == [TypedValue(ref=high.id, display="High")]
        assert await coerce("select", {"id": low.id}) == [TypedValue(ref=low.id, display="Low")]
        assert await coerce("select", {"value": "Low"}) == [TypedValue(ref=low.id, display="Low")]
        assert [typed.ref for typed in await coerce("multi_select", ["Low", many[1].id, "low", "Off"])] == [
            many[0].id, many[1].id, many[2].id]
        assert await coerce("multi_select", "High") == [TypedValue(ref=many[1].id, display="High")]
        assert await coerce("user", {"id": member.user_id}) == [
            TypedValue(ref=member.user_id, display=member.email.split("@")[0].title())]
        refusals = [("number", "many"), ("number", 1e16), ("number", [1]), ("text", 12), ("text", "x" * (TEXT_MAX + 1)),
                    ("date", "March"), ("date", 20260305), ("select", "Off"), ("select", "Medium"),
                    ("multi_select", ["Low", "Medium"]), ("user", other_org.admin_user_id), ("user", "nobody"),
                    ("sprint", 987_654_321), ("sprint", {"id": "x"})]
        for kind, value in refusals:
            with pytest.raises(InvalidInput) as refused:
                await coerce(kind, value)
            assert refused.value.field == f"custom_fields.{kind}", (kind, value)
        await session.rollback()  # the disabled option stays a test's own
