"""A client that reconnects with its last event id receives exactly what it missed, in order, up
to a bound beyond which it is asked to resync; on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.factories.http import ok
from tests.factories.live import create_issue, execute, receive_event, stream, update_issue
from tests.support import OrgHandle, fetch_rows


def test_a_client_that_reconnects_receives_exactly_what_it_missed_in_order(
        client: TestClient, org: OrgHandle, project: dict, issue: dict) -> None:
    other = create_issue(client, org, project, "Elsewhere")
    url = f"/v2/issues/{issue['id']}/live"
    with stream(client, url, org.headers) as ws:
        update_issue(client, org.headers, issue, summary="Seen")
        last_seen = receive_event(ws)["id"]
    update_issue(client, org.headers, issue, summary="Missed 1")
    update_issue(client, org.headers, other, summary="Not this issue")
    ok(client.post(f"/v2/issues/{issue['id']}/transitions/21", headers=org.headers))
    ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "Missed 3"}, headers=org.headers), 201)
    with stream(client, f"{url}?last_event_id={last_seen}", org.headers) as ws:
        missed = [receive_event(ws) for _ in range(3)]
        assert [m["type"] for m in missed] == ["issue_updated", "status_changed", "comment_added"]
        assert [m["id"] for m in missed] == sorted(m["id"] for m in missed) and missed[0]["id"] > last_seen
        assert missed[0]["data"]["field_changes"]["summary"]["to"] == "Missed 1"
        update_issue(client, org.headers, issue, summary="Live again")
        live = receive_event(ws)
        assert live["data"]["field_changes"]["summary"]["to"] == "Live again" and live["id"] > missed[-1]["id"]
        # Resuming on an open connection replays without repeating what it already sent.
        ws.send_json({"type": "resume", "last_event_id": last_seen})
        update_issue(client, org.headers, issue, summary="After resume")
        assert receive_event(ws)["data"]["field_changes"]["summary"]["to"] == "After resume"
    # A project stream replays the project's events from the cursor its welcome gave.
    with stream(client, f"/v2/projects/{project['id']}/live", org.headers) as ws:
        cursor = ws.welcome["last_event_id"]
    update_issue(client, org.headers, other, summary="Project change")
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
        update_issue(client, org.headers, issue, summary=f"Anchor {datetime.now(UTC).isoformat()}")
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
    quiet = create_issue(client, org, project, "Quiet")
    old_anchor = _anchor(client, org, quiet)
    execute(database_url, "UPDATE outbox_events SET created_at = :old WHERE id = :id",
            {"old": datetime.now(UTC) - timedelta(hours=25), "id": old_anchor})
    update_issue(client, org.headers, quiet, summary="Missed, but a day late")
    with stream(client, f"/v2/issues/{quiet['id']}/live?last_event_id={old_anchor}", org.headers) as ws:
        assert receive_event(ws)["type"] == "resync_required"
        update_issue(client, org.headers, quiet, summary="Live after resync")
        assert receive_event(ws)["data"]["field_changes"]["summary"]["to"] == "Live after resync"
    # Another organization's cursor is unknown here, exactly like one that never existed.
    ok(client.post("/v2/projects", json={"key": "BEVT", "name": "B"}, headers=other_org.headers), 201)
    [foreign] = fetch_rows(database_url, "SELECT max(id) AS id FROM outbox_events WHERE organization_id = :org",
                           {"org": other_org.organization_id})
    for cursor in (foreign["id"], 987_654_321_987):
        with stream(client, f"/v2/issues/{quiet['id']}/live?last_event_id={cursor}", org.headers) as ws:
            assert receive_event(ws) == {"type": "resync_required", "data": {"last_event_id": cursor}}
