"""Issue links through the service, on SQLite and PostgreSQL: a link is written once, with a
history item and an event on both of its issues in their own words (blocks / is blocked by); it
refuses itself, duplicates, unknown types and issues it cannot see (named by field); deleting
it records the reverse; links of another organization are missing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tessera.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tessera.issues.links import access_link, check_create_link, check_delete_link
from tests.factories.domain import acting_as
from tests.factories.http import ok
from tests.factories.outbox import events_async
from tests.support import OrgHandle, UserHandle


def new_issue(client: TestClient, org: OrgHandle, project: dict, summary: str) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": summary},
                          headers=org.headers), 201)


def link_history(client: TestClient, org: OrgHandle, issue: dict) -> list[tuple[str | None, str | None]]:
    histories = ok(client.get(f"/v2/issues/{issue['id']}/changelog", headers=org.headers))["histories"]
    return [(item["from_string"], item["to_string"]) for history in histories for item in history["items"]
            if item["field"] in {"Link", "issuelinks"}]


async def test_a_link_is_recorded_on_both_issues_in_their_own_words(client: TestClient, database_url: str,
                                                                    org: OrgHandle, project: dict) -> None:
    blocker, blocked = new_issue(client, org, project, "Blocker"), new_issue(client, org, project, "Blocked")
    async with acting_as(database_url, org) as (session, actor):
        link = await check_create_link(session, actor=actor, link_type_ref="blocks", outward_issue_ref=blocker["key"],
                                       inward_issue_ref=blocked["id"])
        assert (link.source_issue_id, link.target_issue_id, link.creator_id) == (blocker["id"], blocked["id"],
                                                                                 actor.user_id)
    assert link_history(client, org, blocker) == [(None, f"This issue blocks {blocked['key']}")]
    assert link_history(client, org, blocked) == [(None, f"This issue is blocked by {blocker['key']}")]
    created = await events_async(database_url, org, "issue_link_created")
    assert [(e["aggregate_id"], e["payload"]["field_changes"]["issuelinks"]["to"]) for e in created] == [
        (blocker["id"], f"This issue blocks {blocked['key']}"),
        (blocked["id"], f"This issue is blocked by {blocker['key']}")]

    async with acting_as(database_url, org) as (session, actor):
        await check_delete_link(session, actor=actor, link=await access_link(session, actor, link.id))
        with pytest.raises(NotFound):
            await access_link(session, actor, link.id)
    assert link_history(client, org, blocked)[-1] == (f"This issue is blocked by {blocker['key']}", None)
    deleted = await events_async(database_url, org, "issue_link_deleted")
    assert [(e["aggregate_id"], e["payload"]["field_changes"]["issuelinks"]["from"]) for e in deleted] == [
        (blocker["id"], f"This issue blocks {blocked['key']}"),
        (blocked["id"], f"This issue is blocked by {blocker['key']}")]


async def test_a_link_that_cannot_be_is_refused_naming_the_field(client: TestClient, database_url: str,
                                                                 org: OrgHandle, other_org: OrgHandle,
                                                                 project: dict) -> None:
    first, second = new_issue(client, org, project, "First"), new_issue(client, org, project, "Second")
    foreign_project = ok(client.post("/v2/projects", json={"key": "FOREIGN", "name": "Foreign"},
                                     headers=other_org.headers), 201)
    foreign = new_issue(client, other_org, foreign_project, "Not yours")
    async with acting_as(database_url, org) as (session, actor):
        await check_create_link(session, actor=actor, link_type_ref="Relates", outward_issue_ref=first["id"],
                                inward_issue_ref=second["id"])
        with pytest.raises(Conflict) as twice:
            await check_create_link(session, actor=actor, link_type_ref="relates to", outward_issue_ref=first["key"],
                                    inward_issue_ref=second["key"])
        assert twice.value.code == "duplicate_link"
        refusals = [
            (("Blocks", first["id"], first["id"]), "inward_issue"),
            (("Blocks", foreign["id"], first["id"]), "outward_issue"),
            (("Blocks", first["id"], foreign["key"]), "inward_issue"),
            (("Blocks", 987_654_321, first["id"]), "outward_issue"),
            (("Causes", first["id"], second["id"]), "type"),
        ]
        for (link_type, outward, inward), field in refusals:
            with pytest.raises(InvalidInput) as refused:
                await check_create_link(session, actor=actor, link_type_ref=link_type, outward_issue_ref=outward,
                                        inward_issue_ref=inward)
            assert refused.value.field == field, (link_type, outward, inward)
        reverse = await check_create_link(session, actor=actor, link_type_ref="relates", outward_issue_ref=second["id"],
                                          inward_issue_ref=first["id"])
        assert reverse.source_issue_id == second["id"]
    async with acting_as(database_url, other_org) as (session, actor):
        with pytest.raises(NotFound):
            await access_link(session, actor, reverse.id)


async def test_only_those_who_may_link_issues_create_or_delete_links(client: TestClient, database_url: str,
                                                                     org: OrgHandle, project: dict,
                                                                     viewer: UserHandle) -> None:
    first, second = new_issue(client, org, project, "First"), new_issue(client, org, project, "Second")
    async with acting_as(database_url, org) as (session, actor):
        link = await check_create_link(session, actor=actor, link_type_ref="Duplicate", outward_issue_ref=first["id"],
                                       inward_issue_ref=second["id"])
    async with acting_as(database_url, viewer) as (session, actor):
        seen = await access_link(session, actor, link.id)
        with pytest.raises(PermissionDenied):
            await check_delete_link(session, actor=actor, link=seen)
        with pytest.raises(PermissionDenied):
            await check_create_link(session, actor=actor, link_type_ref="Blocks", outward_issue_ref=first["id"],
                                    inward_issue_ref=second["id"])
