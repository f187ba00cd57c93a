"""One live connection from start to end: the welcome, the replay of what the client missed,
live messages, and what the client may send:

* `{"type": "ping"}` → `{"type": "pong"}`
* `{"type": "user_typing"}` → relayed to the others on the issue (at most once a second)
* `{"type": "resume", "last_event_id": N}` → the events after N (as `?last_event_id=N` does)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress

from tessera.db.refs import parse_natural
from tessera.errors import InvalidInput
from tessera.inputs.json_text import MalformedJson, decode_json
from tessera.live.hub import LiveHub
from tessera.live.messages import control
from tessera.live.registry import CLOSE_TOO_BIG, LiveConnection

Receive = Callable[[], Awaitable[str | None]]  # the next text frame; None once the client has gone
MAX_CLIENT_MESSAGE = 4096


def parse_event_id(value: object) -> int | None:
    """A non-negative event id from a query string or JSON; None when it is not one."""
    return parse_natural(value)


async def serve(hub: LiveHub, connection: LiveConnection, *, receive: Receive, last_event_id: int | None) -> None:
    """Runs until the client goes away or the hub closes the connection; always unregisters."""
    sender: asyncio.Task[None] | None = None
    try:
        scope = connection.scope
        async with connection.send_lock:
            welcome: dict = {"scope": scope.kind, "connection_id": connection.id}
            if scope.project_id is not None:
                welcome["project_id"] = scope.project_id
            if scope.issue_id is not None:
                welcome["issue_id"] = scope.issue_id
            if scope.user_id is not None:
                welcome["user_id"] = scope.user_id
            if last_event_id is None:
                welcome["last_event_id"] = await hub.cursor(scope.organization_id)
            await connection.send_now(control("subscribed", **welcome))
            if last_event_id is not None:
                await hub.replay(connection, last_event_id)
        sender = asyncio.create_task(connection.run_sender(), name=f"live-send-{connection.id}")
        if scope.kind == "issue":
            await hub.join_presence(connection)
        while True:
            text = await receive()
            if text is None:
                break
            if len(text) > MAX_CLIENT_MESSAGE:
                connection.request_close(CLOSE_TOO_BIG, f"Client messages are at most {MAX_CLIENT_MESSAGE} bytes.")
                continue
            await _handle(hub, connection, text)
    finally:
        if sender is not None:
            sender.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await sender
        await hub.close(connection)


def _error(message: str, code: str = "invalid_message") -> str:
    return control("error", code=code, message=message)


async def _handle(hub: LiveHub, connection: LiveConnection, text: str) -> None:
    try:
        message = decode_json(text, what="message")
    except MalformedJson:
        connection.enqueue(_error("Messages are JSON objects with a type."))
        return
    except InvalidInput as error:  # too deep, or text that cannot be stored: the connection stays open
        connection.enqueue(_error(error.message, error.code))
        return
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "ping":
        connection.enqueue(control("pong"))
    elif kind == "user_typing":
        if connection.scope.issue_id is None:
            connection.enqueue(_error("user_typing is for issue streams.", "not_an_issue_stream"))
        else:
            await hub.relay_typing(connection)
    elif kind == "resume":
        last_event_id = parse_event_id(message.get("last_event_id"))
        if last_event_id is None:
            connection.enqueue(_error("resume needs last_event_id, a non-negative integer."))
            return
        async with connection.send_lock:
            await hub.replay(connection, last_event_id)
    else:
        connection.enqueue(_error("Unknown message type; send ping, user_typing or resume."))
