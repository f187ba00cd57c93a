"""Saved filters over /v2/filters: CRUD, shares and who sees what, favourites, optimistic
concurrency, and `filter = ...` resolution through find_filter_jql."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.errors import InvalidInput
from tessera.jql.filters import find_filter_jql
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Group, GroupMember
from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle, make_user, unique_key


def _create(client: TestClient, headers: dict, **body: object) -> dict:
    body.setdefault("jql", "order by created")
    return ok(client.post("/v2/filters", json=body, headers=headers), 201)


def _make_group(database_url: str, org: OrgHandle, name: str, user_ids: list[int]) -> int:
    async def work() -> int:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                group = Group(organization_id=org.organization_id, name=name)
                session.add(group)
                await session.flush()
                for user_id in user_ids:
                    session.add(GroupMember(organization_id=org.organization_id, group_id=group.id, user_id=user_id))
                return group.id
        finally:
            await database.dispose()

    return asyncio.run(work())


def _resolve(database_url: str, org: OrgHandle, user: UserHandle | None, ref: str) -> str:
    async def work() -> str:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work(write=False) as session:
                actor = Actor(org.organization_id, user.user_id if user else org.admin_user_id,
                              user.email if user else org.admin_email, "x", "member" if user else "admin")
                return await find_filter_jql(session, actor, ref)
        finally:
            await database.dispose()

    return asyncio.run(work())


def test_create_read_update_delete(client: TestClient, org: OrgHandle, project: dict) -> None:
    created = _create(client, org.headers, name="My open bugs", jql=f"project = {project['key']} AND type = Bug",
                      description="Bugs", favourite=True)
    assert created["name"] == "My open bugs" and created["description"] == "Bugs"
    assert created["owner"] == {"id": org.admin_user_id, "display_name": created["owner"]["display_name"]}
    assert created["favourite"] is True and created["favourite_count"] == 1 and created["version"] == 1
    assert created["shares"] == [] and created["view_url"].endswith(f"?filter={created['id']}")
    assert ok(client.get(f"/v2/filters/{created['id']}", headers=org.headers)) == created

    updated = ok(client.put(f"/v2/filters/{created['id']}", headers=org.headers,
                             json={"name": "Open bugs", "version": 1, "shares": [{"type": "organization"}]}))
    assert updated["name"] == "Open bugs" and updated["version"] == 2 and updated["jql"] == created["jql"]
    assert updated["shares"] == [{"type": "organization"}]
    stale = client.put(f"/v2/filters/{created['id']}", headers=org.headers, json={"name": "Lost", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict", stale.text
    assert stale.json()["error"]["current_version"] == 2

    _create(client, org.headers, name="Other")
    taken = client.post("/v2/filters", json={"name": "open BUGS", "jql": ""}, headers=org.headers)
    assert taken.status_code == 409, taken.text
    renamed = client.put(f"/v2/filters/{created['id']}", json={"name": "other"}, headers=org.headers)
    assert renamed.status_code == 409, renamed.text

    bad = client.post("/v2/filters", json={"name": "Broken", "jql": "status = = Open"}, headers=org.headers)
    assert bad.status_code == 400, bad.text
    assert bad.json()["error"]["field"] == "jql" and "line 1, column" in bad.json()["error"]["message"]
    bad_update = client.put(f"/v2/filters/{created['id']}", json={"jql": "status ="}, headers=org.headers)
    assert bad_update.status_code == 400, bad_update.text

    assert client.delete(f"/v2/filters/{created['id']}", headers=org.headers).status_code == 204
    missing = client.get(f"/v2/filters/{created['id']}", headers=org.headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_filter_cannot_refer_to_itself(client: TestClient, org: OrgHandle) -> None:
    created = _create(client, org.headers, name="Loop")
    for jql in ('filter = "loop"', f"filter in ({created['id']}, 5)"):
        response = client.put(f"/v2/filters/{created['id']}", json={"jql": jql}, headers=org.headers)
        assert response.status_code == 400, response.text
        assert "itself" in response.json()["error"]["message"]


def test_shares_decide_who_sees_a_filter(client: TestClient, database_url: str, org: OrgHandle,
                                         member: UserHandle, viewer: UserHandle) -> None:
    outsider = make_user(database_url, org, role="member")
    private = ok(client.post("/v2/projects", json={"key": unique_key("P")[:10], "name": "Private",
                                                    "access": "private"}, headers=org.headers), 201)
    for role, user in (("users", viewer), ("developers", member)):
        ok(client.put(f"/v2/projects/{private['id']}/roles/{role}", json={"user_ids": [user.user_id]},
                       headers=org.headers))
    group_id = _make_group(database_url, org, f"g-{unique_key()}", [viewer.user_id])
    cases = [
        ([{"type": "organization"}], {viewer, outsider}),
        ([{"type": "user", "user_id": viewer.user_id}], {viewer}),
        ([{"type": "group", "group_id": group_id}], {viewer}),
        ([{"type": "project", "project_id": private["key"]}], {viewer}),
        ([{"type": "project_role", "project_id": private["id"], "role": "users"}], {viewer}),
        ([{"type": "project_role", "project_id": private["id"], "role": "developers"}], set()),
        ([], set()),
    ]
    for index, (shares, seers) in enumerate(cases):
        created = _create(client, member.headers, name=f"Shared {index}", shares=shares)
        assert len(created["shares"]) == len(shares)
        for user in (viewer, outsider):
            response = client.get(f"/v2/filters/{created['id']}", headers=user.headers)
            assert response.status_code == (200 if user in seers else 404), (shares, user.email, response.text)
            if user in seers:
                assert response.json()["shares"] == [] and response.json()["owner"]["id"] == member.user_id
                assert _resolve(database_url, org, user, f"shared {index}") == "order by created"
            else:
                with pytest.raises(InvalidInput, match=f"The value 'Shared {index}' does not exist"):
                    _resolve(database_url, org, user, f"Shared {index}")
        listed = ok(client.get("/v2/filters", params={"query": f"shared {index}"}, headers=viewer.headers))
        assert [f["id"] for f in listed["filters"]] == ([created["id"]] if viewer in seers else [])
    # Only the owner changes a filter; the owner or an organization admin deletes it.
    shared = _create(client, member.headers, name="Everyone", shares=[{"type": "organization"}])
    assert client.put(f"/v2/filters/{shared['id']}", json={"name": "Mine"}, headers=viewer.headers).status_code == 403
    assert client.delete(f"/v2/filters/{shared['id']}", headers=viewer.headers).status_code == 403
    hidden = _create(client, member.headers, name="Hidden")
    assert client.get(f"/v2/filters/{hidden['id']}", headers=org.headers).status_code == 404
    assert client.delete(f"/v2/filters/{hidden['id']}", headers=org.headers).status_code == 204
    assert client.delete(f"/v2/filters/{shared['id']}", headers=member.headers).status_code == 204


def test_share_targets_must_exist_in_the_organization(client: TestClient, database_url: str, org: OrgHandle,
                                                      member: UserHandle) -> None:
    bad = [
        ({"type": "project", "project_id": "NOPE"}, "shares.0.project_id", "The project 'NOPE' does not exist."),
        ({"type": "project_role", "project_id": 987654321, "role": "users"}, "shares.0.project_id", None),
        ({"type": "group", "group": "nobody"}, "shares.0.group", "The group 'nobody' does not exist."),
        ({"type": "group", "group_id": 987654321}, "shares.0.group_id", None),
        ({"type": "user", "user_id": 987654321}, "shares.0.user_id", "The user '987654321' does not exist."),
        ({"type": "user"}, "shares.0.user_id", None),
    ]
    for share, field, message in bad:
        response = client.post("/v2/filters", json={"name": "x", "jql": "", "shares": [share]}, headers=org.headers)
        assert response.status_code == 400, (share, response.text)
        assert response.json()["error"]["field"] == field, response.text
        if message:
            assert response.json()["error"]["message"] == message
    role_project = ok(client.post("/v2/projects", json={"key": unique_key("R")[:10], "name": "R"},
                                   headers=org.headers), 201)
    response = client.post("/v2/filters", headers=org.headers, json={
        "name": "x", "jql": "", "shares": [{"type": "project_role", "project_id": role_project["id"], "role": "x"}]})
    assert response.status_code == 400 and response.json()["error"]["field"] == "shares.0.role"
    wrong_type = client.post("/v2/filters", json={"name": "x", "jql": "", "shares": [{"type": "world"}]},
                             headers=org.headers)
    assert wrong_type.status_code == 422 and wrong_type.json()["error"]["field"] == "shares.0.type"
    assert ok(client.get("/v2/filters", headers=org.headers))["total"] == 0  # nothing was saved
    name = f"Team {unique_key()}"
    group_id = _make_group(database_url, org, name, [])
    by_id = _create(client, member.headers, name="Team", shares=[{"type": "group", "group_id": str(group_id)}])
    assert by_id["shares"] == [{"type": "group", "group": {"id": group_id, "name": name}}]
    by_name = _create(client, member.headers, name="Team 2", shares=[{"type": "group", "group": name.upper()}])
    assert by_name["shares"][0]["group"]["id"] == group_id


def test_favourites_and_listing(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    shared = _create(client, member.headers, name="Alpha shared", shares=[{"type": "organization"}])
    own = _create(client, org.headers, name="Beta mine")
    starred = ok(client.put(f"/v2/filters/{shared['id']}/favourite", headers=org.headers))
    assert starred["favourite"] is True and starred["favourite_count"] == 1
    again = ok(client.put(f"/v2/filters/{shared['id']}/favourite", headers=org.headers))
    assert again["favourite_count"] == 1
    ok(client.put(f"/v2/filters/{shared['id']}/favourite", headers=member.headers))
    assert ok(client.get(f"/v2/filters/{shared['id']}", headers=member.headers))["favourite_count"] == 2

    favourites = ok(client.get("/v2/filters/favourite", headers=org.headers))["filters"]
    assert [f["id"] for f in favourites] == [shared["id"]]
    listed = ok(client.get("/v2/filters", headers=org.headers))
    assert [f["name"] for f in listed["filters"]] == ["Alpha shared", "Beta mine"] and listed["total"] == 2
    mine = ok(client.get("/v2/filters", params={"owner": "me"}, headers=org.headers))["filters"]
    assert [f["id"] for f in mine] == [own["id"]]
    fav = ok(client.get("/v2/filters", params={"favourite": "true"}, headers=org.headers))["filters"]
    assert [f["id"] for f in fav] == [shared["id"]]
    not_fav = ok(client.get("/v2/filters", params={"favourite": "false"}, headers=org.headers))["filters"]
    assert [f["id"] for f in not_fav] == [own["id"]]
    by_query = ok(client.get("/v2/filters", params={"query": "ETA M"}, headers=org.headers))["filters"]
    assert [f["id"] for f in by_query] == [own["id"]]
    assert ok(client.get("/v2/filters", params={"query": "%"}, headers=org.headers))["total"] == 0
    paged = ok(client.get("/v2/filters", params={"start_at": 1, "max_results": 1}, headers=org.headers))
    assert paged["total"] == 2 and [f["id"] for f in paged["filters"]] == [own["id"]]

    unstarred = ok(client.delete(f"/v2/filters/{shared['id']}/favourite", headers=org.headers))
    assert unstarred["favourite"] is False and unstarred["favourite_count"] == 1
    assert ok(client.get("/v2/filters/favourite", headers=org.headers))["filters"] == []
    assert client.delete(f"/v2/filters/{shared['id']}", headers=member.headers).status_code == 204
    assert client.put(f"/v2/filters/{shared['id']}/favourite", headers=org.headers).status_code == 404


def test_find_filter_jql_prefers_the_actors_own_then_the_oldest(client: TestClient, database_url: str,
                                                                org: OrgHandle, member: UserHandle) -> None:
    first = _create(client, member.headers, name="Triage", jql="priority = High", shares=[{"type": "organization"}])
    other = make_user(database_url, org, role="member")
    _create(client, other.headers, name="TRIAGE", jql="priority = Low", shares=[{"type": "organization"}])
    _create(client, org.headers, name="triage", jql="priority = Medium")
    assert _resolve(database_url, org, None, "Triage") == "priority = Medium"
    assert _resolve(database_url, org, member, "triage") == "priority = High"
    assert _resolve(database_url, org, other, " Triage ") == "priority = Low"
    viewer = make_user(database_url, org, role="viewer")
    assert _resolve(database_url, org, viewer, "triage") == "priority = High"
    assert _resolve(database_url, org, viewer, str(first["id"])) == "priority = High"
    with pytest.raises(InvalidInput) as raised:
        _resolve(database_url, org, viewer, "987654321")
    assert raised.value.message == "The value '987654321' does not exist for the field 'filter'."
    assert raised.value.field == "jql"


def test_filter_clause_in_search_sees_only_visible_filters(client: TestClient, org: OrgHandle, project: dict,
                                                           member: UserHandle, viewer: UserHandle) -> None:
    ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Bug", "summary": "Apple pie"},
                    headers=org.headers), 201)
    ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "Pear"},
                    headers=org.headers), 201)
    saved = _create(client, member.headers, name="My open bugs", jql=f"project = {project['key']} AND type = Bug")
    search = lambda user, jql: client.post("/v2/search", json={"jql": jql}, headers=user.headers)  # noqa: E731
    for jql in ('filter = "my open BUGS"', f"filter = {saved['id']}", f"filter in ({saved['id']})"):
        found = ok(search(member, jql))
        assert [i["fields"]["summary"] if "fields" in i else i["summary"] for i in found["issues"]] == ["Apple pie"]
    assert ok(search(member, 'filter != "My open bugs"'))["total"] == 1
    hidden = search(viewer, 'filter = "My open bugs"')
    assert hidden.status_code == 400, hidden.text
    assert hidden.json()["error"]["message"].startswith("The value 'My open bugs' does not exist for the field 'filter'")
    by_id = search(viewer, f"filter = {saved['id']}")
    assert by_id.status_code == 400 and f"'{saved['id']}' does not exist" in by_id.json()["error"]["message"]
    ok(client.put(f"/v2/filters/{saved['id']}", json={"shares": [{"type": "organization"}]}, headers=member.headers))
    assert ok(search(viewer, 'filter = "My open bugs"'))["total"] == 1
    # Filters are validated by the engine when saved: unknown values are refused.
    refused = client.post("/v2/filters", json={"name": "Bad", "jql": "project = NOPE"}, headers=member.headers)
    assert refused.status_code == 400, refused.text
    assert "The value 'NOPE' does not exist for the field 'project'" in refused.json()["error"]["message"]
    nested = _create(client, viewer.headers, name="Nested", jql='filter = "My open bugs" ORDER BY created')
    assert ok(search(viewer, f"filter = {nested['id']}"))["total"] == 1
