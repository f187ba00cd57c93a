"""Comments over /v2 on both backends: threads, edits with history and optimistic concurrency,
deletion (tombstones), role-restricted visibility, paging, who may comment, and events."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.factories.comments import add_comment, list_comments, set_role
from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle, fetch_rows, make_org, make_user


def test_replies_form_threads_on_the_same_issue_only(client: TestClient, org: OrgHandle, project: dict,
                                                     issue: dict) -> None:
    root = add_comment(client, org.headers, issue, "Root")
    reply = add_comment(client, org.headers, issue, "Reply", parent_id=root["id"])
    nested = add_comment(client, org.headers, issue, "Nested", parent_id=str(reply["id"]))
    assert (reply["parent_id"], nested["parent_id"]) == (root["id"], reply["id"])
    other = ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                "summary": "Elsewhere"}, headers=org.headers), 201)
    for bad in (root["id"], 987654321, "abc"):
        response = client.post(f"/v2/issues/{other['id']}/comments", json={"body": "x", "parent_id": bad},
                               headers=org.headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["field"] == "parent_id"
    assert list_comments(client, org.headers, other)["total"] == 0


def test_edits_keep_history_and_a_stale_version_is_a_409_with_the_current_text(
        client: TestClient, org: OrgHandle, issue: dict) -> None:
    comment = add_comment(client, org.headers, issue, "First draft")
    url = f"/v2/issues/{issue['id']}/comments/{comment['id']}"
    assert comment["version"] == 1 and comment["edited"] is False
    only = ok(client.get(f"{url}/history", headers=org.headers))
    assert [r["body"] for r in only["revisions"]] == ["First draft"]
    edited = ok(client.put(url, json={"body": "Second *draft*", "version": 1}, headers=org.headers))
    assert edited["version"] == 2 and edited["edited"] is True and "<em>draft</em>" in edited["rendered_body"]
    stale = client.put(url, json={"body": "Lost update", "version": 1}, headers=org.headers)
    assert stale.status_code == 409, stale.text
    error = stale.json()["error"]
    assert error["code"] == "version_conflict" and error["current_version"] == 2
    assert error["current"]["body"] == "Second *draft*"
    precondition = client.put(url, json={"body": "Lost update"}, headers={**org.headers, "If-Match": 'W/"c1-1"'})
    assert precondition.status_code == 412, precondition.text
    ok(client.put(url, json={"body": "Third"}, headers={**org.headers, "If-Match": 'W/"c1-2"'}))
    history = ok(client.get(f"{url}/history", headers=org.headers))
    assert [(r["revision"], r["body"]) for r in history["revisions"]] == [
        (1, "First draft"), (2, "Second *draft*"), (3, "Third")]
    assert history["revisions"][0]["edited_by"]["id"] == org.admin_user_id
    assert ok(client.get(url, headers=org.headers))["body"] == "Third"
    unchanged = ok(client.put(url, json={}, headers=org.headers))
    assert unchanged["version"] == 3
    assert client.put(url, json={"body": ""}, headers=org.headers).status_code == 422
    assert client.put(url, json={"body": "   "}, headers=org.headers).status_code == 400


def test_concurrent_edits_of_one_version_let_exactly_one_win(client: TestClient, org: OrgHandle,
                                                             issue: dict) -> None:
    comment = add_comment(client, org.headers, issue, "Original")
    url = f"/v2/issues/{issue['id']}/comments/{comment['id']}"

    def edit(n: int) -> int:
        return client.put(url, json={"body": f"Edit {n}", "version": 1}, headers=org.headers).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(edit, range(6)))
    assert statuses == [200, 409, 409, 409, 409, 409], statuses
    final = ok(client.get(url, headers=org.headers))
    assert final["version"] == 2
    history = ok(client.get(f"{url}/history", headers=org.headers))["revisions"]
    assert [r["body"] for r in history] == ["Original", final["body"]]


def test_delete_by_author_or_admins_and_tombstones_keep_threads(client: TestClient, database_url: str,
                                                                org: OrgHandle, issue: dict,
                                                                member: UserHandle) -> None:
    admin_comment = add_comment(client, org.headers, issue, "By the admin")
    base = f"/v2/issues/{issue['id']}/comments"
    denied = client.delete(f"{base}/{admin_comment['id']}", headers=member.headers)
    assert denied.status_code == 403, denied.text
    assert client.put(f"{base}/{admin_comment['id']}", json={"body": "x"}, headers=member.headers).status_code == 403
    mine = add_comment(client, member.headers, issue, "By the member")
    assert client.delete(f"{base}/{mine['id']}", headers=member.headers).status_code == 204
    assert client.get(f"{base}/{mine['id']}", headers=org.headers).status_code == 404
    # A comment with replies becomes a tombstone; the replies stay readable.
    root = add_comment(client, member.headers, issue, "Root with @mention [~accountid:%d]" % org.admin_user_id)
    ok(client.put(f"{base}/{root['id']}", json={"body": "Root, edited"}, headers=member.headers))
    reply = add_comment(client, org.headers, issue, "A reply", parent_id=root["id"])
    assert client.delete(f"{base}/{root['id']}", headers=org.headers).status_code == 204  # admins delete anyone's
    tombstone = ok(client.get(f"{base}/{root['id']}", headers=member.headers))
    assert tombstone["deleted"] is True and tombstone["body"] == "" and tombstone["author"] is None
    assert "deleted" in tombstone["rendered_body"]
    assert ok(client.get(f"{base}/{root['id']}/history", headers=org.headers))["revisions"] == []
    for table in ("comment_revisions", "comment_mentions"):
        rows = fetch_rows(database_url, f"SELECT count(*) AS n FROM {table} WHERE comment_id = :c", {"c": root["id"]})
        assert rows[0]["n"] == 0, table
    edit = client.put(f"{base}/{root['id']}", json={"body": "revive"}, headers=member.headers)
    assert edit.status_code == 400 and edit.json()["error"]["code"] == "comment_deleted"
    assert client.post(base, json={"body": "x", "parent_id": root["id"]}, headers=org.headers).status_code == 400
    listed = list_comments(client, org.headers, issue)["comments"]
    assert [c["id"] for c in listed][-2:] == [root["id"], reply["id"]]
    # Deleting the last reply takes the bare tombstone with it.
    assert client.delete(f"{base}/{reply['id']}", headers=org.headers).status_code == 204
    assert client.get(f"{base}/{root['id']}", headers=org.headers).status_code == 404
    assert [c["id"] for c in list_comments(client, org.headers, issue)["comments"]] == [admin_comment["id"]]


def test_restricted_comments_exist_only_for_the_role(client: TestClient, database_url: str, org: OrgHandle,
                                                     project: dict, issue: dict, member: UserHandle) -> None:
    developer = make_user(database_url, org, role="member")
    set_role(client, org, project, "developers", [developer.user_id])
    public = add_comment(client, org.headers, issue, "Public note about zebras")
    secret = add_comment(client, developer.headers, issue, "Restricted note about okapis",
                      visibility={"type": "role", "value": "Developers"})
    assert secret["visibility"] == {"type": "role", "value": "developers"}
    reply = add_comment(client, developer.headers, issue, "Reply about okapis too", parent_id=secret["id"])
    assert reply["visibility"] == {"type": "role", "value": "developers"}  # inherited
    base = f"/v2/issues/{issue['id']}/comments"
    for reader in (org, developer):  # the role and organization admins
        listed = list_comments(client, reader.headers, issue)
        assert listed["total"] == 3 and {c["id"] for c in listed["comments"]} == {public["id"], secret["id"],
                                                                                   reply["id"]}
        ok(client.get(f"{base}/{secret['id']}", headers=reader.headers))
    listed = list_comments(client, member.headers, issue)
    assert listed["total"] == 1 and [c["id"] for c in listed["comments"]] == [public["id"]]
    for url in (f"{base}/{secret['id']}", f"{base}/{secret['id']}/history", f"{base}/{reply['id']}"):
        assert client.get(url, headers=member.headers).status_code == 404
    assert client.put(f"{base}/{secret['id']}", json={"body": "x"}, headers=member.headers).status_code == 404
    assert client.delete(f"{base}/{secret['id']}", headers=member.headers).status_code == 404
    refused = client.post(base, json={"body": "x", "parent_id": secret["id"]}, headers=member.headers)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "parent_id"
    # Nobody restricts a comment to a role they do not hold.
    wrong = client.post(base, json={"body": "x", "visibility": {"type": "role", "value": "administrators"}},
                        headers=developer.headers)
    assert wrong.status_code == 400 and wrong.json()["error"]["field"] == "visibility"
    for bad in ({"type": "group", "value": "jira-users"}, {"type": "role", "value": "nobody"}):
        response = client.post(base, json={"body": "x", "visibility": bad}, headers=org.headers)
        assert response.status_code == 400, response.text

    def search(reader: OrgHandle | UserHandle, jql: str, **body: object) -> list[dict]:
        return ok(client.post("/v2/search", json={"jql": jql, **body}, headers=reader.headers))["issues"]

    for jql in ("comment ~ okapis", "text ~ okapis"):
        assert [i["id"] for i in search(developer, jql)] == [issue["id"]]
        assert [i["id"] for i in search(org, jql)] == [issue["id"]]
        assert search(member, jql) == []
    assert [i["id"] for i in search(member, "comment ~ zebras")] == [issue["id"]]
    expanded = search(member, f"key = {issue['key']}", expand=["comments"])[0]["comments"]
    assert [c["id"] for c in expanded] == [public["id"]]
    assert len(search(developer, f"key = {issue['key']}", expand=["comments"])[0]["comments"]) == 3
    # Lifting the restriction shows it to everyone; another organization sees nothing either way.
    ok(client.put(f"{base}/{secret['id']}", json={"visibility": None}, headers=developer.headers))
    assert list_comments(client, member.headers, issue)["total"] == 2
    stranger = make_org(database_url)
    assert client.get(f"{base}/{secret['id']}", headers=stranger.headers).status_code == 404
    assert client.get(base, headers=stranger.headers).status_code == 404
    assert search(stranger, "comment ~ okapis") == []


def test_paging_order_and_bad_input(client: TestClient, org: OrgHandle, issue: dict) -> None:
    ids = [add_comment(client, org.headers, issue, f"Comment {n}")["id"] for n in range(5)]
    page = list_comments(client, org.headers, issue, start_at=1, max_results=2)
    assert (page["total"], page["start_at"], page["max_results"]) == (5, 1, 2)
    assert [c["id"] for c in page["comments"]] == ids[1:3]
    newest = list_comments(client, org.headers, issue, order_by="-created", max_results=2)
    assert [c["id"] for c in newest["comments"]] == [ids[4], ids[3]] and newest["order_by"] == "-created"
    assert [c["id"] for c in list_comments(client, org.headers, issue, order_by="+created")["comments"]] == ids
    base = f"/v2/issues/{issue['id']}/comments"
    for params in ({"order_by": "updated"}, {"max_results": 0}, {"start_at": -1}):
        response = client.get(base, params=params, headers=org.headers)
        assert response.status_code in (400, 422) and response.json()["error"]["code"], (params, response.text)
    for body in ({}, {"body": None}, {"body": "x", "visibility": "developers"}, {"body": "x", "extra": 1}):
        response = client.post(base, json=body, headers=org.headers)
        assert 400 <= response.status_code < 500 and response.json()["error"]["code"], (body, response.text)
    for ref in ("nope", "0", "99999999999999999999"):
        assert client.get(f"{base}/{ref}", headers=org.headers).status_code == 404


def test_viewers_read_but_do_not_comment(client: TestClient, org: OrgHandle, issue: dict,
                                         viewer: UserHandle) -> None:
    add_comment(client, org.headers, issue, "Hello")
    assert list_comments(client, viewer.headers, issue)["total"] == 1
    response = client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "x"}, headers=viewer.headers)
    assert response.status_code == 403, response.text


def test_comment_events_carry_visibility_in_the_same_transaction(client: TestClient, database_url: str,
                                                                 org: OrgHandle, project: dict,
                                                                 issue: dict) -> None:
    set_role(client, org, project, "developers", [org.admin_user_id])
    comment = add_comment(client, org.headers, issue, "Note", visibility={"type": "role", "value": "developers"})
    url = f"/v2/issues/{issue['id']}/comments/{comment['id']}"
    ok(client.put(url, json={"body": "Note, edited"}, headers=org.headers))
    assert client.delete(url, headers=org.headers).status_code == 204
    rows = fetch_rows(database_url, "SELECT event_type, payload, organization_id FROM outbox_events "
                                    "WHERE aggregate_id = :issue AND event_type LIKE 'comment_%' ORDER BY id",
                      {"issue": issue["id"]})
    rows = [r for r in rows if r["organization_id"] == org.organization_id]
    assert [r["event_type"] for r in rows] == ["comment_added", "comment_updated", "comment_deleted"]
    for row in rows:
        payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        assert payload["comment_id"] == comment["id"] and payload["issue_id"] == issue["id"]
        assert payload["user_id"] == org.admin_user_id and payload["timestamp"]
        assert payload["visibility"] == {"type": "role", "value": "developers"}
