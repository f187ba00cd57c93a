"""Subscriptions over a real WebSocket (graphql-transport-ws, Starlette's in-process client)
against the real app and database: changes arrive as they commit, permission-checked like /live."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.api.graphql.conftest import GraphQL
from tests.support import OrgHandle, make_user

PROTOCOL = "graphql-transport-ws"
ISSUE_CHANGED = """subscription($id: ID!, $after: Int) { issueChanged(issueId: $id, lastEventId: $after) {
  type eventId issueId issueKey userId lastEventId fieldChanges { field from to } } }"""
PROJECT_ISSUES = """subscription($id: ID!) { projectIssues(projectId: $id) { type issueKey } }"""


def receive(ws: Any, timeout: float = 5.0) -> dict:
    """The next message, failing after `timeout` seconds instead of hanging the run."""
    async def next_message() -> dict:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    return json.loads(message["text"])


@contextmanager
def socket(client: TestClient, params: dict | None) -> Iterator[Any]:
    """A graphql-transport-ws connection, initialised with `params` and acknowledged."""
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
        ws.send_json({"type": "connection_init", "payload": params or {}})
        assert receive(ws)["type"] == "connection_ack"
        yield ws


def subscribe(ws: Any, operation_id: str, query: str, variables: dict) -> dict:
    """Starts a subscription and returns its first event's data (`subscribed`), or its errors."""
    ws.send_json({"id": operation_id, "type": "subscribe", "payload": {"query": query, "variables": variables}})
    return next_payload(ws, operation_id)


def next_payload(ws: Any, operation_id: str) -> dict:
    message = receive(ws)
    assert message["id"] == operation_id and message["type"] in ("next", "error"), message
    return message["payload"]


def _bearer(handle: Any) -> dict:
    return {"Authorization": f"Bearer {handle.token}"}


def _create(gql: GraphQL, org: OrgHandle, project: dict, summary: str) -> dict:
    return gql.data('mutation($p: ID!, $s: String!) { createIssue(input: {projectId: $p, issueType: "Task", '
                    'summary: $s}) { id key } }', {"p": project["key"], "s": summary},
                    headers=org.headers)["createIssue"]


def test_issue_changes_arrive_as_they_commit(client: TestClient, gql: GraphQL, org: OrgHandle,
                                             project: dict) -> None:
    issue = _create(gql, org, project, "Watched")
    with socket(client, _bearer(org)) as ws:
        first = subscribe(ws, "1", ISSUE_CHANGED, {"id": issue["key"]})["data"]["issueChanged"]
        assert first["type"] == "subscribed" and first["issueId"] == issue["id"] and first["lastEventId"] >= 0
        gql.data('mutation($id: ID!) { updateIssue(id: $id, input: {summary: "Renamed"}) { version } }',
                 {"id": issue["id"]}, headers=org.headers)
        updated = next_payload(ws, "1")["data"]["issueChanged"]
        assert updated["type"] == "issue_updated" and updated["issueKey"] == issue["key"]
        assert updated["fieldChanges"] == [{"field": "summary", "from": "Watched", "to": "Renamed"}]
        assert updated["userId"] == str(org.admin_user_id) and updated["eventId"] > first["lastEventId"]
        gql.data('mutation($id: ID!) { transitionIssue(id: $id, transition: "In Progress") { status } }',
                 {"id": issue["id"]}, headers=org.headers)
        moved = next_payload(ws, "1")["data"]["issueChanged"]
        assert moved["type"] == "status_changed"
        assert {"field": "status", "from": "To Do", "to": "In Progress"} in moved["fieldChanges"]
        ws.send_json({"id": "1", "type": "complete"})
    # Resuming after the first event replays what came after it, in order.
    with socket(client, _bearer(org)) as ws:
        subscribe(ws, "2", ISSUE_CHANGED, {"id": issue["id"], "after": updated["eventId"]})
        replayed = next_payload(ws, "2")["data"]["issueChanged"]
        assert replayed["eventId"] == moved["eventId"] and replayed["type"] == "status_changed"


def test_project_subscriptions_follow_every_issue_and_end_when_access_ends(
        client: TestClient, gql: GraphQL, database_url: str, org: OrgHandle, project: dict) -> None:
    member = make_user(database_url, org, role="member")
    with socket(client, _bearer(member)) as ws:
        assert subscribe(ws, "p", PROJECT_ISSUES, {"id": project["key"]})["data"]["projectIssues"]["type"] == \
            "subscribed"
        issue = _create(gql, org, project, "New one")
        created = next_payload(ws, "p")["data"]["projectIssues"]
        assert created == {"type": "issue_created", "issueKey": issue["key"]}
        # The project becomes private: the member, in no project role, may no longer browse it.
        response = client.put(f"/v2/projects/{project['id']}", json={"access": "private"}, headers=org.headers)
        assert response.status_code == 200, response.text
        _create(gql, org, project, "Secret one")
        ended = next_payload(ws, "p")
        assert ended["errors"][0]["extensions"]["code"] == "FORBIDDEN" and "Secret" not in json.dumps(ended)
        assert receive(ws) == {"id": "p", "type": "complete"}


def test_subscriptions_are_refused_without_access(client: TestClient, gql: GraphQL, org: OrgHandle,
                                                  other_org: OrgHandle, project: dict) -> None:
    issue = _create(gql, org, project, "Not yours")
    with socket(client, _bearer(other_org)) as ws:
        foreign = subscribe(ws, "a", ISSUE_CHANGED, {"id": issue["key"]})
        assert receive(ws) == {"id": "a", "type": "complete"}
        missing = subscribe(ws, "b", ISSUE_CHANGED, {"id": "NOPE-1"})
        assert receive(ws) == {"id": "b", "type": "complete"}
        assert foreign["errors"][0]["message"] == missing["errors"][0]["message"]
        assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND" and foreign["data"] is None
        # Queries and mutations go over HTTP; the socket carries subscriptions only.
        ws.send_json({"id": "q", "type": "subscribe", "payload": {"query": "{ viewer { email } }"}})
        refused = next_payload(ws, "q")
        assert refused["errors"][0]["extensions"]["reason"] == "http_required" and "POST" in json.dumps(refused)
    with pytest.raises(WebSocketDisconnect) as closed, socket(client, {"Authorization": "Bearer nope"}):
        pass
    assert closed.value.code == 4403
    over_http = gql.post(ISSUE_CHANGED, {"id": issue["key"]}, headers=org.headers, status=200)
    assert over_http["errors"][0]["extensions"]["code"] == "BAD_INPUT"
