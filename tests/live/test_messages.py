"""What clients send on a live socket: pings, unknown messages answered with an error, and deeply
nested or unstorable messages answered while the socket stays open."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.live import closed_with, receive, stream
from tests.support import OrgHandle


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
