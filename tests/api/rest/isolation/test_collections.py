"""Lists hold only the caller's organization; keys, names and emails are per organization; a
password sign-in is scoped to the organization it names."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.isolation_world import LISTS, MISSING_ID, World, assert_no_leak, ok


def _row_ids(rows: list[dict]) -> set[object]:
    return {row.get("numeric_id", row["id"]) for row in rows if row.get("custom", True) is not False}


def test_lists_hold_only_the_callers_organization(client: TestClient, world: World) -> None:
    for url, key in LISTS.items():
        seen_by_a = ok(client.get(url, headers=world.a.headers))[key]
        seen_by_b = ok(client.get(url, headers=world.b.headers))[key]
        assert seen_by_a, url
        overlap = _row_ids(seen_by_a) & _row_ids(seen_by_b)
        assert not overlap, (url, overlap)
        assert_no_leak(world, str(seen_by_b), url)
    for query in ("secret", world.ids["member_email"], world.a.admin_email, "a"):
        users = ok(client.get("/v2/users", params={"query": query}, headers=world.b.headers))["users"]
        assert {u["id"] for u in users} <= {world.b.admin_user_id}, (query, users)
    myself = ok(client.get("/v2/myself", headers=world.b.headers))
    assert myself["id"] == world.b.admin_user_id and myself["organization_key"] == world.b.key


def test_keys_names_and_emails_are_per_organization(client: TestClient, world: World) -> None:
    """B may reuse A's project key, field name and user email; that creates B's own rows."""
    b = world.b
    project = client.post("/v2/projects", json={"key": world.ids["project_key"], "name": "Same key"},
                          headers=b.headers)
    assert project.status_code == 201, project.text
    assert project.json()["id"] != world.ids["project_id"]
    field_response = client.post("/v2/fields", json={"name": "Secret Field Narwhal", "field_type": "text"},
                                 headers=b.headers)
    assert field_response.status_code == 201, field_response.text
    user = client.post("/v2/users", json={"email": world.ids["member_email"], "name": "Namesake"},
                       headers=b.headers)
    assert user.status_code == 201, user.text
    assert user.json()["id"] != world.ids["member_id"]
    issue = ok(client.post("/v2/issues", json={"project_id": world.ids["project_key"], "issue_type": "Task",
                                                "summary": "In B"}, headers=b.headers), 201)
    assert issue["key"] == f"{world.ids['project_key']}-1"
    # A's issue with the same number keeps answering to A, and B's to B.
    assert ok(client.get(f"/v2/issues/{issue['key']}", headers=world.a.headers))["summary"] != "In B"
    assert ok(client.get(f"/v2/issues/{issue['key']}", headers=b.headers))["id"] == issue["id"]
    token = ok(client.post("/v2/myself/tokens", json={"name": "b-extra"}, headers=b.headers), 201)["api_token"]
    assert ok(client.get("/v2/myself", headers={"Authorization": f"Bearer {token}"}))["organization_key"] == b.key


def test_a_password_login_is_scoped_to_the_named_organization(client: TestClient, world: World) -> None:
    client.cookies.clear()
    try:
        wrong_org = client.post("/v2/session", json={"email": world.a.admin_email,
                                                     "password": world.a.admin_password, "organization": world.b.key})
        assert wrong_org.status_code == 401, wrong_org.text
        assert "tessera_session" not in wrong_org.cookies
        right_org = client.post("/v2/session", json={"email": world.a.admin_email,
                                                     "password": world.a.admin_password, "organization": world.a.key})
        assert right_org.status_code == 200, right_org.text
        assert right_org.json()["organization_key"] == world.a.key
        assert client.get(f"/v2/issues/{world.ids['story_id']}").status_code == 200
        foreign = client.get(f"/v2/issues/{world.ids['b_story_id']}")
        missing = client.get(f"/v2/issues/{MISSING_ID}")
        assert foreign.status_code == 404 and foreign.json() == missing.json()
        assert client.delete("/v2/session").status_code == 204
    finally:
        client.cookies.clear()
