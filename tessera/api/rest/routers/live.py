"""Live updates over WebSocket: /v2/issues/{issue_id}/live, /v2/projects/{project_id}/live,
/v2/notifications/live (the signed-in user's own inbox additions, for the web UI's bell) and POST /v2/live/tickets for browsers. The protocol itself lives in tessera.live.session;
the handshake's authentication and what is followed are tessera.edge.live's (shared with GraphQL
subscriptions); this module maps errors to close codes (4401 unauthenticated, 4403 forbidden,
4404 unknown or not visible, 4400 bad request, 4429 rate limited, 1013 live updates unavailable)."""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from sqlalchemy.exc import DBAPIError

from tessera.api.rest.responses.collaboration import LiveTicketOut
from tessera.api.rest.responses.common import ok
from tessera.edge.context import RequestContext, request_context
from tessera.edge.live import LiveKind, identify_subscriber, resolve_live_scope
from tessera.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited, TesseraError
from tessera.issues.views import iso
from tessera.live.hub import LiveHub
from tessera.live.registry import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_RATE_LIMITED,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHENTICATED,
)
from tessera.live.session import parse_event_id, serve
from tessera.live.tickets import TICKET_LIFETIME, do_issue_ticket

log = logging.getLogger("tessera.live")
router = APIRouter(prefix="/v2", tags=["live"])
CLOSE_INTERNAL_ERROR = 1011
Ctx = Annotated[RequestContext, Depends(request_context)]
_CLOSE_CODES = ((NotAuthenticated, CLOSE_UNAUTHENTICATED), (PermissionDenied, CLOSE_FORBIDDEN),
                (NotFound, CLOSE_NOT_FOUND), (RateLimited, CLOSE_RATE_LIMITED))


@router.post("/live/tickets", status_code=201, responses=ok(LiveTicketOut, 201))
async def create_live_ticket(ctx: Ctx) -> dict:
    """A single-use ticket for `?ticket=` on a live WebSocket, valid for 60 seconds in any server
    process: for browsers, which cannot set headers on a WebSocket."""
    async with ctx.transaction() as (session, actor):
        issued = await do_issue_ticket(session, actor=actor)
    return {"ticket": issued.ticket, "expires_at": iso(issued.expires_at),
            "expires_in": int(TICKET_LIFETIME.total_seconds())}


@router.websocket("/issues/{issue_id}/live")
async def issue_live(websocket: WebSocket, issue_id: str) -> None:
    await _live(websocket, "issue", issue_id)


@router.websocket("/projects/{project_id}/live")
async def project_live(websocket: WebSocket, project_id: str) -> None:
    await _live(websocket, "project", project_id)


@router.websocket("/notifications/live")
async def notifications_live(websocket: WebSocket) -> None:
    """`{"type": "notification_added", "id", "unread", "notification_id"}` whenever an entry
    reaches the connected user's inbox; authenticated like the other streams."""
    await _live(websocket, "user", "")


async def _live(websocket: WebSocket, kind: LiveKind, ref: str) -> None:
    state = websocket.app.state
    hub: LiveHub = state.live_hub
    # Accept first: a close before accepting reaches the client as a bare HTTP 403, without our code.
    await websocket.accept()
    try:
        last_event_id = _last_event_id(websocket)
        actor = await identify_subscriber(state.database, state.settings, state.limiter, websocket,
                                          ticket=websocket.query_params.get("ticket"))
        scope = await resolve_live_scope(state.database, actor, kind=kind, ref=ref)
        connection = await hub.open(actor=actor, scope=scope, send=websocket.send_text,
                                    close=lambda code, reason: _close(websocket, code, reason))
    except TesseraError as error:
        code = next((c for cls, c in _CLOSE_CODES if isinstance(error, cls)), CLOSE_BAD_REQUEST)
        await _close(websocket, code, error.message)
        return
    except DBAPIError:  # a value the database refuses (a NUL in a key): like any unknown reference
        await _close(websocket, CLOSE_NOT_FOUND, "Not found.")
        return
    except (TimeoutError, ConnectionError, OSError):
        await _close(websocket, CLOSE_TRY_AGAIN, "Live updates are unavailable; try again shortly.")
        return
    except Exception:  # noqa: BLE001 - e.g. Redis (rate limits) unreachable: close, never hang
        log.exception("live: opening a connection failed")
        await _close(websocket, CLOSE_INTERNAL_ERROR, "Live updates failed; try again shortly.")
        return

    async def receive() -> str | None:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        return message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")

    try:
        await serve(hub, connection, receive=receive, last_event_id=last_event_id)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client went away mid-send: its session simply ends
    except Exception:  # noqa: BLE001
        log.exception("live: a connection failed")
        await _close(websocket, CLOSE_INTERNAL_ERROR, "Live updates failed; reconnect with last_event_id.")


def _last_event_id(websocket: WebSocket) -> int | None:
    raw = websocket.query_params.get("last_event_id")
    if raw is None:
        return None
    value = parse_event_id(raw)
    if value is None:
        raise InvalidInput("last_event_id must be a non-negative integer.", field="last_event_id")
    return value


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with suppress(Exception):
        await websocket.close(code=code, reason=reason.encode("utf-8")[:123].decode("utf-8", "ignore"))
