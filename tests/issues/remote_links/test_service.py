"""Remote links through the service, on SQLite and PostgreSQL: a client's link is checked into
its stored form (http, https or mailto URL and a title required, each mistake named by field);
posting a globalId that exists updates that link; every change leaves its event; only those who
may link issues change links, and a link is found only on its own issue."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tessera.errors import InvalidInput, NotFound, PermissionDenied
from tessera.issues.remote_links.service import (
    access_remote_link,
    check_delete_remote_link,
    check_put_remote_link,
    list_remote_links,
    validate_link_spec,
)
from tessera.issues.service import access_issue
from tests.factories.domain import acting_as
from tests.factories.http import ok
from tests.factories.outbox import events_async
from tests.support import OrgHandle, UserHandle

PULL_REQUEST = {"globalId": "pr-7", "relationship": "mentioned in", "application": {"name": "Git"},
                "object": {"url": " https://git.example/pr/7 ", "title": "PR 7", "summary": "Fixes it",
                           "icon": {"url16x16": "https://git.example/i.png"}, "status": {"resolved": False}}}


def new_issue(client: TestClient, org: OrgHandle, project: dict, summary: str) -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": summary},
                          headers=org.headers), 201)


def test_a_link_spec_is_checked_into_its_stored_form() -> None:
    assert validate_link_spec(PULL_REQUEST) == {
        "global_id": "pr-7", "relationship": "mentioned in", "application": {"name": "Git"},
        "link_object": {"url": "https://git.example/pr/7", "title": "PR 7", "summary": "Fixes it",
                        "icon": {"url16x16": "https://git.example/i.png"}, "status": {"resolved": False}}}
    assert validate_link_spec({"object": {"url": "mailto:team@example.test", "title": "Mail us"}}) == {
        "global_id": None, "relationship": "", "application": {},
        "link_object": {"url": "mailto:team@example.test", "title": "Mail us"}}
    assert len(validate_link_spec({"globalId": "g" * 2000, "object": {"url": "http://x", "title": "t"}})["global_id"]) == 255
    refusals = [({}, "object"), ({"object": "https://x"}, "object"), ({"object": {"title": "t"}}, "object.url"),
                ({"object": {"url": "javascript:alert(1)", "title": "t"}}, "object.url"),
                ({"object": {"url": "ftp://x/y", "title": "t"}}, "object.url"),
                ({"object": {"url": "https://x", "title": "  "}}, "object.title"),
                ({"object": {"url": "https://x", "title": "t" * 2001}}, "object.title"),
                ({"object": {"url": "https://x", "title": "t", "summary": 7}}, "object.summary"),
                ({"object": {"url": "https://x", "title": "t", "icon": "i.png"}}, "object.icon"),
                ({"object": {"url": "https://x", "title": "t"}, "application": ["Git"]}, "application"),
                ({"object": {"url": "https://x", "title": "t"}, "relationship": 3}, "relationship")]
    for spec, field in refusals:
        with pytest.raises(InvalidInput) as refused:
            validate_link_spec(spec)
        assert refused.value.field == field, spec


async def test_links_are_made_updated_by_global_id_and_deleted_with_events(client: TestClient, database_url: str,
                                                                           org: OrgHandle, project: dict) -> None:
    issue_ref = new_issue(client, org, project, "Has links")
    async with acting_as(database_url, org) as (session, actor):
        issue, found_project = await access_issue(session, actor, issue_ref["id"])
        link, created = await check_put_remote_link(session, actor=actor, issue=issue, project=found_project,
                                                    spec=PULL_REQUEST)
        assert created and link.global_id == "pr-7"
        again, created = await check_put_remote_link(session, actor=actor, issue=issue, project=found_project, spec={
            **PULL_REQUEST, "object": {"url": "https://git.example/pr/7", "title": "PR 7 (merged)"}})
        assert not created and again.id == link.id and again.link_object["title"] == "PR 7 (merged)"
        wiki, created = await check_put_remote_link(session, actor=actor, issue=issue, project=found_project,
                                                    spec={"object": {"url": "https://wiki.example/a", "title": "A"}})
        assert created and wiki.global_id is None
        assert [remote.id for remote in await list_remote_links(session, issue=issue)] == [link.id, wiki.id]
        assert [remote.id for remote in await list_remote_links(session, issue=issue, global_id="pr-7")] == [link.id]
        assert await access_remote_link(session, issue=issue, ref=str(wiki.id)) is wiki
        await check_delete_remote_link(session, actor=actor, issue=issue, project=found_project, link=wiki)
        assert [remote.id for remote in await list_remote_links(session, issue=issue)] == [link.id]
    kinds = [(e["event_type"], e["payload"]["remote_link_id"], e["payload"]["url"])
             for e in await events_async(database_url, org) if e["event_type"].startswith("remote_link_")]
    assert kinds == [("remote_link_created", link.id, "https://git.example/pr/7"),
                     ("remote_link_updated", link.id, "https://git.example/pr/7"),
                     ("remote_link_created", wiki.id, "https://wiki.example/a"),
                     ("remote_link_deleted", wiki.id, "https://wiki.example/a")]


async def test_only_those_who_may_link_change_links_and_links_stay_on_their_issue(
        client: TestClient, database_url: str, org: OrgHandle, project: dict, viewer: UserHandle) -> None:
    first, second = new_issue(client, org, project, "First"), new_issue(client, org, project, "Second")
    async with acting_as(database_url, org) as (session, actor):
        issue, found_project = await access_issue(session, actor, first["id"])
        link, _ = await check_put_remote_link(session, actor=actor, issue=issue, project=found_project,
                                              spec={"object": {"url": "https://x.example", "title": "X"}})
        other, _ = await access_issue(session, actor, second["id"])
        for ref in (link.id, "nope", None):
            with pytest.raises(NotFound):
                await access_remote_link(session, issue=other, ref=ref)
    async with acting_as(database_url, viewer) as (session, actor):
        issue, found_project = await access_issue(session, actor, first["id"])
        seen = await access_remote_link(session, issue=issue, ref=link.id)
        with pytest.raises(PermissionDenied):
            await check_put_remote_link(session, actor=actor, issue=issue, project=found_project,
                                        spec={"object": {"url": "https://y.example", "title": "Y"}})
        with pytest.raises(PermissionDenied):
            await check_delete_remote_link(session, actor=actor, issue=issue, project=found_project, link=seen)
        assert [remote.id for remote in await list_remote_links(session, issue=issue)] == [link.id]
