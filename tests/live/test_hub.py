"""Live updates over WebSocket in one server process, on both backends: real WebSocket sessions
(Starlette's in-process client) against the real app and database.

Where a test must show that something was NOT delivered, it makes a later change that must be
delivered and checks that it arrives first: events leave a process in commit order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.websockets import WebSocketDisconnect

from tessera.config import Settings
from tessera.db.engine import Database
from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle, fetch_rows, make_user


def receive(ws, timeout: float = 5.0) -> dict:  # type: ignore[no-untyped-def]
    """The next message, failing after `timeout` seconds instead of hanging the run (the test
    session's receive() has no timeout of its own)."""
    async def next_message() -> dict:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    return json.loads(message["text"])


def receive_event(ws, timeout: float = 5.0) -> dict:  # type: ignore[no-untyped-def]
    """The next message that is not a presence update."""
    while True:
        message = receive(ws, timeout)
        if message["type"] != "presence":
            return message


def closed_with(ws, timeout: float = 5.0) -> int:  # type: ignore[no-untyped-def]
    """The close code the server sent, skipping any messages before it."""
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            receive(ws, timeout)
    return closed.value.code


def refused(client: TestClient, path: str, headers: dict | None = None) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(path, headers=headers or {}) as ws:
        receive(ws)
    return closed.value


@contextmanager
def stream(client: TestClient, path: str, headers: dict | None = None) -> Iterator:  # type: ignore[type-arg]
    """An open live connection whose welcome has been read (its `subscribed` data on `.welcome`)."""
    with client.websocket_connect(path, headers=headers or {}) as ws:
        welcome = receive(ws)
        assert welcome["type"] == "subscribed", welcome
        ws.welcome = welcome["data"]
        yield ws


def _create_issue(client: TestClient, org: OrgHandle, project: dict, summary: str = "Live issue") -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": summary},
                           headers=org.headers), 201)


def _update(client: TestClient, headers: dict, issue: dict, **fields: object) -> dict:
    return ok(client.put(f"/v2/issues/{issue['id']}", json=fields, headers=headers))


async def _execute(database_url: str, sql: str, params: dict) -> None:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            await session.execute(text(sql), params)
    finally:
        await database.dispose()


def execute(database_url: str, sql: str, params: dict) -> None:
    asyncio.run(_execute(database_url, sql, params))


@pytest.fixture
def issue(client: TestClient, org: OrgHandle, project: dict) -> dict:
    return _create_issue(client, org, project)


# -- delivery ------------------------------------------------------------------------------------

def test_changes_reach_issue_and_project_streams_in_the_seeds_shape(
        client: TestClient, database_url: str, org: OrgHandle, project: dict, issue: dict, member: UserHandle) -> None:
    with stream(client, f"/v2/issues/{issue['key']}/live", org.headers) as on_issue, \
            stream(client, f"/v2/projects/{project['key']}/live", member.headers) as on_project:
        assert on_issue.welcome["issue_id"] == issue["id"] and on_issue.welcome["project_id"] == project["id"]
        assert on_project.welcome["scope"] == "project" and isinstance(on_project.welcome["last_event_id"], int)
        _update(client, org.headers, issue, summary="Renamed", assignee_id=member.user_id)
        [outbox_id] = [row["id"] for row in fetch_rows(
            database_url, "SELECT id FROM outbox_events WHERE organization_id = :org AND event_type = 'issue_updated'",
            {"org": org.organization_id})]
        for ws in (on_issue, on_project):
            message = receive_event(ws)
            assert message["type"] == "issue_updated" and message["id"] == outbox_id
            data = message["data"]
            assert data["issue_id"] == issue["id"] and data["user_id"] == org.admin_user_id
            assert data["field_changes"]["summary"] == {"from": "Live issue", "to": "Renamed"}
            assert data["field_changes"]["assignee"]["from"] is None
            assert datetime.fromisoformat(data["timestamp"]).tzinfo is not None
        ok(client.post(f"/v2/issues/{issue['id']}/transitions/11", headers=org.headers))
        for ws in (on_issue, on_project):
            message = receive_event(ws)
            assert message["type"] == "status_changed"
            assert message["data"]["field_changes"]["status"] == {"from": "To Do", "to": "In Progress"}
        ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Looks good"}, headers=member.headers),
            201)
        for ws in (on_issue, on_project):
            message = receive_event(ws)
            assert message["type"] == "comment_added" and message["data"]["user_id"] == member.user_id
            assert message["data"]["body"] == "Looks good" and message["data"]["field_changes"] == {}
        created = _create_issue(client, org, project, "Second")
        message = receive_event(on_project)
        assert message["type"] == "issue_created" and message["data"]["issue_id"] == created["id"]
        _update(client, org.headers, issue, summary="Once more")
        assert receive_event(on_issue)["data"]["field_changes"]["summary"]["to"] == "Once more"


def test_a_refused_change_publishes_nothing(client: TestClient, org: OrgHandle, issue: dict) -> None:
    with stream(client, f"/v2/issues/{issue['id']}/live", org.headers) as ws:
        stale = client.put(f"/v2/issues/{issue['id']}", json={"summary": "Lost", "version": 99}, headers=org.headers)
        assert stale.status_code == 409
        invalid = client.put(f"/v2/issues/{issue['id']}", json={"priority": "no such"}, headers=org.headers)
        assert invalid.status_code == 400
        _update(client, org.headers, issue, summary="Kept")
        message = receive_event(ws)
        assert message["data"]["field_changes"] == {"summary": {"from": "Live issue", "to": "Kept"}}


# -- handshake: authentication, tenancy, permissions --------------------------------------------

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
    hidden = _create_issue(client, org, private)
    assert refused(client, f"/v2/issues/{hidden['id']}/live", viewer.headers).code == 4404
    assert refused(client, "/v2/projects/HIDDEN/live", viewer.headers).code == 4404


def test_org_b_never_receives_org_a_events_even_for_the_same_key(
        client: TestClient, org: OrgHandle, other_org: OrgHandle, project: dict, issue: dict) -> None:
    b_project = ok(client.post("/v2/projects", json={"key": project["key"], "name": "B's own"},
                                headers=other_org.headers), 201)
    b_issue = _create_issue(client, other_org, b_project)
    assert b_issue["key"] == issue["key"] and b_issue["id"] != issue["id"]
    with stream(client, f"/v2/issues/{issue['key']}/live", other_org.headers) as b_on_key, \
            stream(client, f"/v2/projects/{project['key']}/live", other_org.headers) as b_on_project:
        assert b_on_key.welcome["issue_id"] == b_issue["id"]
        for n in range(3):
            _update(client, org.headers, issue, summary=f"A's change {n}")
        ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "A's secret"}, headers=org.headers), 201)
        _update(client, other_org.headers, b_issue, summary="B's change")
        for ws in (b_on_key, b_on_project):
            message = receive_event(ws)
            assert message["data"]["issue_id"] == b_issue["id"], message
            assert message["data"]["field_changes"]["summary"]["to"] == "B's change"
        assert b_on_key.welcome["last_event_id"] < message["id"]


def test_tickets_are_single_use_short_lived_and_bound_to_their_user(
        client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle, issue: dict,
        member: UserHandle) -> None:
    assert client.post("/v2/live/tickets").status_code == 401
    issued = ok(client.post("/v2/live/tickets", headers=member.headers), 201)
    assert issued["expires_in"] == 60 and issued["ticket"].startswith(f"{org.organization_id}.")
    url = f"/v2/issues/{issue['id']}/live"
    with stream(client, f"{url}?ticket={issued['ticket']}") as ws:
        presence = receive(ws)
        assert presence["type"] == "presence" and presence["data"]["viewers"][0]["user_id"] == member.user_id
    assert refused(client, f"{url}?ticket={issued['ticket']}").code == 4401  # used
    expired = ok(client.post("/v2/live/tickets", headers=member.headers), 201)["ticket"]
    execute(database_url, "UPDATE live_tickets SET expires_at = :past WHERE organization_id = :org",
            {"past": datetime.now(UTC) - timedelta(seconds=1), "org": org.organization_id})
    assert refused(client, f"{url}?ticket={expired}").code == 4401
    stolen = ok(client.post("/v2/live/tickets", headers=member.headers), 201)["ticket"]
    secret = stolen.split(".", 1)[1]
    assert refused(client, f"{url}?ticket={other_org.organization_id}.{secret}").code == 4401  # other org's
    for garbage in ("", "x", "1.", ".abc", "99999999999999999999.abc", "1.%00"):
        assert refused(client, f"{url}?ticket={garbage}").code == 4401
    b_ticket = ok(client.post("/v2/live/tickets", headers=other_org.headers), 201)["ticket"]
    assert refused(client, f"{url}?ticket={b_ticket}").code == 4404  # B's user on A's issue
    with stream(client, f"{url}?ticket={stolen}"):  # the untampered ticket still works, once
        pass


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


# -- permissions while connected -----------------------------------------------------------------

def test_a_watcher_removed_from_the_project_role_stops_receiving_events(
        client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    """A role change is an event: cached checks are dropped on receipt, not at their expiry."""
    assert client.app.state.live_hub.access.ttl >= 5  # type: ignore[attr-defined]
    private = ok(client.post("/v2/projects", json={"key": "PRIV", "name": "Private", "access": "private"},
                              headers=org.headers), 201)
    issue = _create_issue(client, org, private)
    ok(client.put(f"/v2/projects/{private['id']}/roles/developers", json={"user_ids": [member.user_id]},
                   headers=org.headers))
    with stream(client, f"/v2/issues/{issue['id']}/live", member.headers) as watcher, \
            stream(client, f"/v2/issues/{issue['id']}/live", org.headers) as admin:
        _update(client, org.headers, issue, summary="Seen by the developer")
        assert receive_event(watcher)["data"]["field_changes"]["summary"]["to"] == "Seen by the developer"
        ok(client.put(f"/v2/projects/{private['id']}/roles/developers", json={"user_ids": []}, headers=org.headers))
        _update(client, org.headers, issue, summary="Not for former developers")
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
        _update(client, org.headers, issue, summary="Still open")
        assert receive_event(watcher)["type"] == "issue_updated"
        ok(client.put(f"/v2/projects/{project['id']}", json={"access": "private"}, headers=org.headers))
        _update(client, org.headers, issue, summary="Now private")
        assert closed_with(watcher) == 4403


def test_a_deactivated_user_is_disconnected(client: TestClient, org: OrgHandle, issue: dict,
                                            member: UserHandle) -> None:
    assert client.app.state.live_hub.access.ttl >= 5  # type: ignore[attr-defined]
    with stream(client, f"/v2/issues/{issue['id']}/live", member.headers) as watcher:
        ok(client.put(f"/v2/users/{member.user_id}", json={"active": False}, headers=org.headers))
        _update(client, org.headers, issue, summary="After deactivation")
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


# -- replay --------------------------------------------------------------------------------------

def test_a_client_that_reconnects_receives_exactly_what_it_missed_in_order(
        client: TestClient, org: OrgHandle, project: dict, issue: dict) -> None:
    other = _create_issue(client, org, project, "Elsewhere")
    url = f"/v2/issues/{issue['id']}/live"
    with stream(client, url, org.headers) as ws:
        _update(client, org.headers, issue, summary="Seen")
        last_seen = receive_event(ws)["id"]
    _update(client, org.headers, issue, summary="Missed 1")
    _update(client, org.headers, other, summary="Not this issue")
    ok(client.post(f"/v2/issues/{issue['id']}/transitions/11", headers=org.headers))
    ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Missed 3"}, headers=org.headers), 201)
    with stream(client, f"{url}?last_event_id={last_seen}", org.headers) as ws:
        missed = [receive_event(ws) for _ in range(3)]
        assert [m["type"] for m in missed] == ["issue_updated", "status_changed", "comment_added"]
        assert [m["id"] for m in missed] == sorted(m["id"] for m in missed) and missed[0]["id"] > last_seen
        assert missed[0]["data"]["field_changes"]["summary"]["to"] == "Missed 1"
        _update(client, org.headers, issue, summary="Live again")
        live = receive_event(ws)
        assert live["data"]["field_changes"]["summary"]["to"] == "Live again" and live["id"] > missed[-1]["id"]
        # Resuming on an open connection replays without repeating what it already sent.
        ws.send_json({"type": "resume", "last_event_id": last_seen})
        _update(client, org.headers, issue, summary="After resume")
        assert receive_event(ws)["data"]["field_changes"]["summary"]["to"] == "After resume"
    # A project stream replays the project's events from the cursor its welcome gave.
    with stream(client, f"/v2/projects/{project['id']}/live", org.headers) as ws:
        cursor = ws.welcome["last_event_id"]
    _update(client, org.headers, other, summary="Project change")
    with stream(client, f"/v2/projects/{project['id']}/live?last_event_id={cursor}", org.headers) as ws:
        assert receive_event(ws)["data"]["field_changes"]["summary"]["to"] == "Project change"


def _write_missed_events(database_url: str, issue: dict, count: int) -> None:
    """`count` issue_updated events straight into the outbox (what `count` PUTs would write)."""
    rows = [{"org": issue["organization_id"], "issue": issue["id"], "at": datetime.now(UTC), "payload": json.dumps(
        {"issue_id": issue["id"], "project_id": issue["project"]["id"], "field_changes": {"summary": {"to": str(n)}}})}
        for n in range(count)]
    payload = "CAST(:payload AS JSONB)" if "postgres" in database_url else ":payload"
    execute(database_url, "INSERT INTO outbox_events (organization_id, event_type, aggregate_type, aggregate_id, "
            f"actor_id, payload, created_at, attempts) VALUES (:org, 'issue_updated', 'issue', :issue, NULL, "
            f"{payload}, :at, 0)", rows)


def _anchor(client: TestClient, org: OrgHandle, issue: dict) -> int:
    """The id of one event the client saw on the issue, before it went away."""
    with stream(client, f"/v2/issues/{issue['id']}/live", org.headers) as ws:
        _update(client, org.headers, issue, summary=f"Anchor {datetime.now(UTC).isoformat()}")
        return receive_event(ws)["id"]


def test_replay_is_bounded_and_asks_for_a_resync_beyond_it(
        client: TestClient, database_url: str, org: OrgHandle, other_org: OrgHandle, project: dict,
        issue: dict) -> None:
    url = f"/v2/issues/{issue['id']}/live"
    anchor = _anchor(client, org, issue)
    issue = {**issue, "organization_id": org.organization_id}
    _write_missed_events(database_url, issue, 500)
    with stream(client, f"{url}?last_event_id={anchor}", org.headers) as ws:  # 500: replayed in full
        replayed = [receive_event(ws) for _ in range(500)]
        assert [m["data"]["field_changes"]["summary"]["to"] for m in replayed] == [str(n) for n in range(500)]
        assert all(m["type"] == "issue_updated" for m in replayed)
    _write_missed_events(database_url, issue, 1)
    with stream(client, f"{url}?last_event_id={anchor}", org.headers) as ws:  # 501: too many
        assert receive_event(ws) == {"type": "resync_required", "data": {"last_event_id": anchor}}
    # Older than a day: too old, however few. Live updates flow on after a resync.
    quiet = _create_issue(client, org, project, "Quiet")
    old_anchor = _anchor(client, org, quiet)
    execute(database_url, "UPDATE outbox_events SET created_at = :old WHERE id = :id",
            {"old": datetime.now(UTC) - timedelta(hours=25), "id": old_anchor})
    _update(client, org.headers, quiet, summary="Missed, but a day late")
    with stream(client, f"/v2/issues/{quiet['id']}/live?last_event_id={old_anchor}", org.headers) as ws:
        assert receive_event(ws)["type"] == "resync_required"
        _update(client, org.headers, quiet, summary="Live after resync")
        assert receive_event(ws)["data"]["field_changes"]["summary"]["to"] == "Live after resync"
    # Another organization's cursor is unknown here, exactly like one that never existed.
    ok(client.post("/v2/projects", json={"key": "BEVT", "name": "B"}, headers=other_org.headers), 201)
    [foreign] = fetch_rows(database_url, "SELECT max(id) AS id FROM outbox_events WHERE organization_id = :org",
                           {"org": other_org.organization_id})
    for cursor in (foreign["id"], 987_654_321_987):
        with stream(client, f"/v2/issues/{quiet['id']}/live?last_event_id={cursor}", org.headers) as ws:
            assert receive_event(ws) == {"type": "resync_required", "data": {"last_event_id": cursor}}


# -- presence, typing, client messages -----------------------------------------------------------

def test_presence_and_typing_between_two_viewers(client: TestClient, org: OrgHandle, issue: dict,
                                                 member: UserHandle) -> None:
    url = f"/v2/issues/{issue['id']}/live"
    with stream(client, url, org.headers) as admin:
        assert [v["user_id"] for v in receive(admin)["data"]["viewers"]] == [org.admin_user_id]
        with stream(client, url, member.headers) as watcher:
            both = sorted([org.admin_user_id, member.user_id])
            assert sorted(v["user_id"] for v in receive(watcher)["data"]["viewers"]) == both
            joined = receive(admin)
            assert joined["type"] == "presence" and joined["data"]["issue_id"] == issue["id"]
            assert sorted(v["user_id"] for v in joined["data"]["viewers"]) == both
            for _ in range(3):  # relayed once: at most one notice a second per connection
                admin.send_json({"type": "user_typing"})
            _update(client, org.headers, issue, summary="Typed")
            typing = receive(watcher)
            assert typing["type"] == "user_typing" and "id" not in typing
            assert typing["data"]["user_id"] == org.admin_user_id and typing["data"]["issue_id"] == issue["id"]
            assert typing["data"]["field_changes"] == {} and typing["data"]["timestamp"]
            assert receive(watcher)["type"] == "issue_updated"
            assert receive(admin)["type"] == "issue_updated"  # no echo of one's own typing
        left = receive(admin)
        assert [v["user_id"] for v in left["data"]["viewers"]] == [org.admin_user_id]


def test_client_messages_ping_and_errors(client: TestClient, org: OrgHandle, project: dict, issue: dict) -> None:
    with stream(client, f"/v2/projects/{project['id']}/live", org.headers) as ws:
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}
        ws.send_text("not json")
        assert receive(ws)["data"]["code"] == "invalid_message"
        for bad in ([1, 2], {"type": "teleport"}, {"type": "resume", "last_event_id": "x"}):
            ws.send_json(bad)
            assert receive(ws)["type"] == "error"
        ws.send_json({"type": "user_typing"})
        assert receive(ws)["data"]["code"] == "not_an_issue_stream"
        ws.send_text("x" * 5000)
        assert closed_with(ws) == 1009


def test_a_deeply_nested_or_unstorable_message_is_answered_and_the_socket_stays_open(
        client: TestClient, org: OrgHandle, project: dict) -> None:
    with stream(client, f"/v2/projects/{project['id']}/live", org.headers) as ws:
        ws.send_text("[" * 2000 + "]" * 2000)  # within the message size limit, far beyond the nesting limit
        refused = receive(ws)
        assert refused["data"] == {"code": "json_too_deep", "message": "The message nests deeper than 64 levels."}
        ws.send_text('{"type": "ping", "note": "\\u0000"}')
        assert receive(ws)["data"]["code"] == "invalid_text"
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}
