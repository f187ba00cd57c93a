"""Who may hold a live stream, on both backends: handshakes without access close with a code, a
session cookie counts only from our own origin, and losing access while connected (role, private
project, deactivation, restricted comments) stops the events at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.live import closed_with, create_issue, receive_event, refused, stream, update_issue
from tests.support import OrgHandle, UserHandle, make_user


def test_handshakes_without_access_close_with_a_code(client: TestClient, org: OrgHandle, other_org: OrgHandle,
                                                     issue: dict, viewer: UserHandle) -> None:
    url = f"/v2/issues/{issue['id']}/live"
    assert refused(client, url).code == 4401
    assert refused(client, url, {"Authorization": "Bearer tsr_not-a-token"}).code == 4401
    assert refused(client, url, {"Authorization": "Digest x"}).code == 4401
    # Another organization's issue, by id or key, closes exactly like a missing one.
    for foreign, missing in ((issue["id"], 987_654_321), (issue["key"], "NOPE-4242")):
        foreign_close = refused(client, f"/v2/issues/{foreign}/live", other_org.headers)
        missing_close = refused(client, f"/v2/issues/{missing}/live", other_org.headers)
        assert (foreign_close.code, foreign_close.reason) == (missing_close.code, missing_close.reason)
        assert foreign_close.code == 4404
    assert refused(client, f"/v2/projects/{issue['key'].split('-')[0]}/live", other_org.headers).code == 4404
    assert refused(client, "/v2/issues/NUL-%00/live", org.headers).code == 4404
    assert refused(client, f"{url}?last_event_id=soon", org.headers).code == 4400
    assert refused(client, f"{url}?last_event_id=-1", org.headers).code == 4400
    private = ok(client.post("/v2/projects", json={"key": "HIDDEN", "name": "Hidden", "access": "private"},
                              headers=org.headers), 201)
    hidden = create_issue(client, org, private)
    assert refused(client, f"/v2/issues/{hidden['id']}/live", viewer.headers).code == 4404
    assert refused(client, "/v2/projects/HIDDEN/live", viewer.headers).code == 4404


def test_a_session_cookie_counts_only_from_our_own_origin(client: TestClient, org: OrgHandle, issue: dict) -> None:
    client.cookies.clear()
    try:
        ok(client.post("/v2/session", json={"email": org.admin_email, "password": org.admin_password}))
        url = f"/v2/issues/{issue['id']}/live"
        assert refused(client, url, {"Origin": "https://evil.example"}).code == 4403
        with stream(client, url, {"Origin": "http://testserver"}) as ws:
            assert ws.welcome["issue_id"] == issue["id"]
    finally:
        client.cookies.clear()


def test_a_watcher_removed_from_the_project_role_stops_receiving_events(
        client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    """A role change is an event: cached checks are dropped on receipt, not at their expiry."""
    assert client.app.state.live_hub.access.ttl >= 5  # type: ignore[attr-defined]
    private = ok(client.post("/v2/projects", json={"key": "PRIV", "name": "Private", "access": "private"},
                              headers=org.headers), 201)
    issue = create_issue(client, org, private)
    ok(client.put(f"/v2/projects/{private['id']}/roles/developers", json={"user_ids": [member.user_id]},
                   headers=org.headers))
    with stream(client, f"/v2/issues/{issue['id']}/live", member.headers) as watcher, \
            stream(client, f"/v2/issues/{issue['id']}/live", org.headers) as admin:
        update_issue(client, org.headers, issue, summary="Seen by the developer")
        assert receive_event(watcher)["data"]["field_changes"]["summary"]["to"] == "Seen by the developer"
        ok(client.put(f"/v2/projects/{private['id']}/roles/developers", json={"user_ids": []}, headers=org.headers))
        update_issue(client, org.headers, issue, summary="Not for former developers")
        assert closed_with(watcher) == 4403
        assert receive_event(admin)["data"]["field_changes"]["summary"]["to"] == "Seen by the developer"
        assert receive_event(admin)["data"]["field_changes"]["summary"]["to"] == "Not for former developers"
    assert refused(client, f"/v2/issues/{issue['id']}/live", member.headers).code == 4404


def test_making_a_project_private_cuts_off_its_watchers_at_once(
        client: TestClient, org: OrgHandle, project: dict, issue: dict, member: UserHandle) -> None:
    """A project's access change is an event: every process drops its cached checks on receipt,
    without waiting for them to expire."""
    assert client.app.state.live_hub.access.ttl >= 5  # type: ignore[attr-defined]
    with stream(client, f"/v2/projects/{project['id']}/live", member.headers) as watcher:
        update_issue(client, org.headers, issue, summary="Still open")
        assert receive_event(watcher)["type"] == "issue_updated"
        ok(client.put(f"/v2/projects/{project['id']}", json={"access": "private"}, headers=org.headers))
        update_issue(client, org.headers, issue, summary="Now private")
        assert closed_with(watcher) == 4403


def test_a_deactivated_user_is_disconnected(client: TestClient, org: OrgHandle, issue: dict,
                                            member: UserHandle) -> None:
    assert client.app.state.live_hub.access.ttl >= 5  # type: ignore[attr-defined]
    with stream(client, f"/v2/issues/{issue['id']}/live", member.headers) as watcher:
        ok(client.put(f"/v2/users/{member.user_id}", json={"active": False}, headers=org.headers))
        update_issue(client, org.headers, issue, summary="After deactivation")
        assert closed_with(watcher) == 4401


def test_restricted_comments_reach_only_members_of_their_role(
        client: TestClient, database_url: str, org: OrgHandle, project: dict, issue: dict) -> None:
    developer, outsider = make_user(database_url, org), make_user(database_url, org)
    ok(client.put(f"/v2/projects/{project['id']}/roles/developers", json={"user_ids": [developer.user_id]},
                   headers=org.headers))
    with stream(client, f"/v2/issues/{issue['id']}/live", developer.headers) as inside, \
            stream(client, f"/v2/projects/{project['id']}/live", outsider.headers) as outside:
        ok(client.post(f"/v2/issues/{issue['id']}/comments",
                        json={"body": "Developers only", "visibility": {"type": "role", "value": "developers"}},
                        headers=org.headers), 201)
        ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Everyone"}, headers=org.headers), 201)
        first = receive_event(inside)
        assert first["data"]["body"] == "Developers only"
        assert first["data"]["visibility"] == {"type": "role", "value": "developers"}
        assert receive_event(inside)["data"]["body"] == "Everyone"
        assert receive_event(outside)["data"]["body"] == "Everyone"
