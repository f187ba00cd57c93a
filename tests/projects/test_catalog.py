"""An organization's catalogs as made for it (issue types, priorities, resolutions, link types),
on SQLite and PostgreSQL, and how a client's reference to an entry resolves: id, name in any
case, the seed's underscore forms, a link type's verbs; anything else names the known entries."""

from __future__ import annotations

import pytest

from tessera.errors import InvalidInput
from tessera.projects.catalog import (
    DEFAULT_ISSUE_TYPES,
    DEFAULT_LINK_TYPES,
    DEFAULT_PRIORITIES,
    DEFAULT_RESOLUTIONS,
    list_issue_types,
    list_link_types,
    list_priorities,
    list_resolutions,
    resolve_link_type,
    resolve_named,
)
from tests.factories.domain import acting_as
from tests.support import OrgHandle


async def test_a_new_organization_has_the_default_catalogs(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, _actor):
        types = await list_issue_types(session, org.organization_id)
        priorities = await list_priorities(session, org.organization_id)
        resolutions = await list_resolutions(session, org.organization_id)
        link_types = await list_link_types(session, org.organization_id)
    assert [(t.name, t.hierarchy_level) for t in types] == [(name, level) for name, level, _, _ in DEFAULT_ISSUE_TYPES]
    assert [(p.name, p.sequence) for p in priorities] == [(name, n) for n, (name, _) in enumerate(DEFAULT_PRIORITIES, 1)]
    assert [p.name for p in priorities if p.is_default] == ["Medium"]
    assert [r.name for r in resolutions] == [name for name, _ in DEFAULT_RESOLUTIONS]
    assert [(t.name, t.outward, t.inward) for t in link_types] == list(DEFAULT_LINK_TYPES)
    assert all(t.organization_id == org.organization_id for t in [*types, *priorities, *resolutions, *link_types])


async def test_references_resolve_by_id_name_or_the_seeds_forms(database_url: str, org: OrgHandle) -> None:
    async with acting_as(database_url, org) as (session, _actor):
        types = await list_issue_types(session, org.organization_id)
        resolutions = await list_resolutions(session, org.organization_id)
        link_types = await list_link_types(session, org.organization_id)
    by_name = {t.name: t for t in types}
    bug, subtask = by_name["Bug"], by_name["Sub-task"]
    for ref in (bug.id, str(bug.id), " bug ", "BUG", {"id": bug.id}, {"name": "Bug"}):
        assert resolve_named(types, ref, field="issue_type", what="issue type") is bug, ref
    for ref in ("sub_task", "Sub Task", "sub-task"):
        assert resolve_named(types, ref, field="issue_type", what="issue type") is subtask, ref
    wont_do = next(r for r in resolutions if r.name == "Won't Do")
    assert resolve_named(resolutions, "wont_do", field="resolution", what="resolution") is wont_do
    blocks = next(t for t in link_types if t.name == "Blocks")
    for ref in ("blocks", "Is Blocked By", "BLOCKS", blocks.id):
        assert resolve_link_type(link_types, ref) is blocks, ref
    assert resolve_link_type(link_types, "clones").name == "Cloners"


@pytest.mark.parametrize("ref", ["Feature", "", None, 987_654_321, {"name": "Epic-ish"}, ["Bug"]])
async def test_an_unknown_reference_names_the_field_and_the_known_entries(database_url: str, org: OrgHandle,
                                                                          ref: object) -> None:
    async with acting_as(database_url, org) as (session, _actor):
        types = await list_issue_types(session, org.organization_id)
    with pytest.raises(InvalidInput) as refused:
        resolve_named(types, ref, field="issue_type", what="issue type")
    assert refused.value.field == "issue_type"
    assert refused.value.message.endswith("Known: Epic, Story, Task, Bug, Sub-task.")
