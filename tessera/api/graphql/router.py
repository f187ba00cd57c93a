"""/graphql: POST (or GET) for queries and mutations, GraphiQL for a browser asking for HTML, and
subscriptions over WebSocket (graphql-transport-ws, or the older graphql-ws).

Malformed requests (not JSON, no query, a mutation over GET) answer a JSON error in GraphQL's
shape with a 4xx status, never plain text or a 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.types.unset import UnsetType

from tessera.api.graphql.context import GraphQLContext, context_getter_for
from tessera.api.graphql.errors import code_of
from tessera.api.graphql.schema import schema
from tessera.edge.authentication import SESSION_COOKIE
from tessera.errors import InvalidInput, TesseraError
from tessera.inputs.json_text import MalformedJson, decode_json
from tessera.tenancy.auth import authenticate_session

PATH = "/graphql"
# Strawberry's GraphiQL page with its scripts and styles served from /static/vendor instead of a CDN.
GRAPHIQL_HTML = (Path(__file__).parent / "graphiql.html").read_text(encoding="utf-8")


async def _context(connection: HTTPConnection) -> GraphQLContext:
    return context_getter_for(connection.app.state)


class TesseraGraphQLRouter(GraphQLRouter):
    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:  # type: ignore[override]
        try:
            return await super().run(request=request, context=context, root_value=root_value)
        except HTTPException as refused:
            code = "METHOD_NOT_ALLOWED" if refused.status_code == 405 else "BAD_REQUEST"
            return JSONResponse({"errors": [{"message": refused.reason, "extensions": {"code": code}}]},
                                status_code=refused.status_code)
        finally:
            if isinstance(context, GraphQLContext):
                await context.close()

    def parse_json(self, data: str | bytes) -> Any:
        """HTTP bodies and GET variables, read like every edge's (tessera.inputs), refusals in
        GraphQL's shape by run() above."""
        try:
            return decode_json(data)
        except MalformedJson:
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        except InvalidInput as refused:
            raise HTTPException(400, refused.message) from None

    def decode_json(self, data: str | bytes) -> object:
        """WebSocket messages: one refused by tessera.inputs reads to Strawberry as malformed JSON,
        which ends the subscription socket with 4400 instead of an exception."""
        try:
            return decode_json(data, what="message")
        except InvalidInput as refused:
            raise json.JSONDecodeError(refused.message, "", 0) from None

    async def on_ws_connect(self, context: GraphQLContext) -> UnsetType | dict[str, object] | None:
        """Authenticates the socket once, at connection_init; refusals close it with 4403."""
        try:
            actor = await context.authenticate_subscriber()
        except TesseraError as error:
            raise ConnectionRejectionError({"message": error.message, "code": code_of(error)}) from None
        return {"user_id": str(actor.user_id), "organization": actor.organization_key}

    async def render_graphql_ide(self, request: Request | WebSocket) -> Any:
        """GraphiQL (graphiql.html). For a signed-in browser the page carries the session's CSRF
        token, so mutations run from it are accepted like the web UI's."""
        html = GRAPHIQL_HTML
        token = await _csrf_token(request)
        if token:
            html = html.replace(_DEFAULT_HEADERS, f"const defaultHeaders = {json.dumps({'X-CSRF-Token': token})};", 1)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})


_DEFAULT_HEADERS = "const defaultHeaders = {};"


async def _csrf_token(connection: HTTPConnection) -> str | None:
    cookie = connection.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        async with connection.app.state.database.unit_of_work(write=False) as session:
            return (await authenticate_session(session, cookie)).csrf_token
    except TesseraError:
        return None


def create_router() -> TesseraGraphQLRouter:
    # Origins are checked where credentials are: a session cookie counts only from our own pages.
    return TesseraGraphQLRouter(schema, path=PATH, context_getter=_context, include_in_schema=False,
                                allowed_origins=("*",))
