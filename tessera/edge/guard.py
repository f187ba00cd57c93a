"""Every request gets an id, and an unexpected failure becomes one clean 500.

The id is the client's sane `X-Request-Id`, else a new one; every response carries it back in
`X-Request-Id`, and a 500 carries it in its body too, so a report can be matched to the log.

An exception no route handled is logged once (with the request id) and answered in the edge's
shape with `Connection: close`: the server then ends the keep-alive connection after the
response, instead of dropping it under a client that already sent its next request (the
frameworks' own last resort answers, then re-raises to the server, which resets the socket and
logs the error a second time). A failure after the response started cannot be answered; the
server closes that connection.

Pure ASGI (no BaseHTTPMiddleware), so streaming responses and background tasks pass untouched.
A mounted app (/rest) runs its own RequestGuard inside its framework's last resort: it reuses the
id it finds in the scope and leaves the header to the outer guard.

Given a ProcessMetrics (tessera.edge.metrics), the outer guard also counts each HTTP request by
edge and status class and times it, to the end of its response: two clock reads and two dict
updates, since every request passes here anyway."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.audit.context import RequestOrigin, set_request_origin
from tessera.edge.by_path import Edge, edge_for
from tessera.edge.metrics import ProcessMetrics

log = logging.getLogger("tessera.api")
REQUEST_ID_KEY = "tessera.request_id"
REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _origin(scope: Scope, request_id: str) -> RequestOrigin:
    """The client as the audit log records it (tessera.audit.context)."""
    agent = next((value.decode("latin-1")[:512] for name, value in scope.get("headers", ())
                  if name == b"user-agent"), None)
    client = scope.get("client")
    return RequestOrigin(request_id=request_id, ip=client[0] if client else None, user_agent=agent)


def request_id_of(scope: Scope) -> str | None:
    return scope.get(REQUEST_ID_KEY)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_ID.fullmatch(text) else None
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, *, edges: Sequence[Edge], metrics: ProcessMetrics | None = None) -> None:
        self.app = app
        self.edges = tuple(edges)
        self.metrics = metrics
        self.labels = {edge.prefix: edge_label(edge) for edge in self.edges}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        nested = REQUEST_ID_KEY in scope
        if not nested:
            scope[REQUEST_ID_KEY] = _incoming_id(scope) or uuid.uuid4().hex
        request_id = scope[REQUEST_ID_KEY]
        set_request_origin(_origin(scope, request_id))
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        started = False
        status = 500
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                if not nested:
                    message.setdefault("headers", [])
                    MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            log.error("request %s failed: %s %s", request_id, scope.get("method"), scope.get("path"),
                      exc_info=error)
            if started:
                return
            response = edge_for(self.edges, scope.get("path", "")).failed(Request(scope), request_id)
            response.headers["Connection"] = "close"
            await response(scope, receive, send_with_id)
        finally:
            if self.metrics is not None and not nested:
                self.metrics.request(self.labels[edge_for(self.edges, scope.get("path", "")).prefix], status,
                                     time.perf_counter() - began)


def edge_label(edge: Edge) -> str:
    """"v2", "rest", "graphql"; "web" for the pages (the edge without a prefix)."""
    return edge.prefix.strip("/") or "web"
