"""Live WebSocket sessions for the tests: Starlette's in-process client against the real app and
database, reads that fail after a timeout instead of hanging the run, and the changes that make
events.

Where a test must show that something was NOT delivered, it makes a later change that must be
delivered and checks that it arrives first: events leave a process in commit order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.websockets import WebSocketDisconnect

from tessera.config import Settings
from tessera.db.engine import Database
from tests.factories.http import ok
from tests.support import OrgHandle


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


def create_issue(client: TestClient, org: OrgHandle, project: dict, summary: str = "Live issue") -> dict:
    return ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": summary},
                           headers=org.headers), 201)


def update_issue(client: TestClient, headers: dict, issue: dict, **fields: object) -> dict:
    return ok(client.put(f"/v2/issues/{issue['id']}", json=fields, headers=headers))


async def execute_async(database_url: str, sql: str, params: dict) -> None:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            await session.execute(text(sql), params)
    finally:
        await database.dispose()


def execute(database_url: str, sql: str, params: dict) -> None:
    asyncio.run(execute_async(database_url, sql, params))
