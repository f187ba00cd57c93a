"""Refuses, before any framework parses it, input that would crash a request or be stored
differently by the two databases: JSON bodies nesting deeper than tessera.inputs.json_text
allows, and NUL or unpaired surrogates in JSON strings, form fields, query parameters and the
path (tessera.inputs.text). The refusal is a 400 in the shape of the edge the request came to,
naming the field.

Edges that decode JSON themselves (/rest, /graphql, workflow documents, the live WebSocket)
read it with tessera.inputs.json_text.decode_json, which applies the same checks; this
middleware is what covers the bodies FastAPI decodes for /v2. Multipart bodies (uploads) pass
unchecked: their text fields are checked where they are read."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.edge.by_path import Edge, edge_for
from tessera.errors import InvalidInput
from tessera.inputs.json_text import validate_json_text
from tessera.inputs.text import validate_text

_FORM = "application/x-www-form-urlencoded"


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (content_type.startswith("application/")
                                                   and content_type.endswith("+json"))


def _check_pairs(pairs: list[tuple[str, str]]) -> None:
    for name, value in pairs:
        validate_text(name, field=name)
        validate_text(value, field=name)


def validate_target(scope: Scope) -> None:
    """The path and the query parameters (decoded as Starlette decodes them)."""
    validate_text(scope.get("path", ""), field="path")
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        _check_pairs(parse_qsl(query, keep_blank_values=True))


def validate_request_body(content_type: str, body: bytes) -> None:
    if _is_json(content_type):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return  # not JSON at all: the edge's decoder says so
        validate_json_text(text)
    elif content_type == _FORM:
        _check_pairs(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


class InputCheck:
    def __init__(self, app: ASGIApp, *, edges: Sequence[Edge]) -> None:
        self.app = app
        self.edges = tuple(edges)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: InvalidInput) -> None:
        request = Request(scope, receive)
        response = await edge_for(self.edges, scope.get("path", "")).refused(request, error)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            validate_target(scope)
        except InvalidInput as error:
            await self._refuse(scope, receive, send, error)
            return
        content_type = _content_type(scope)
        if not (_is_json(content_type) or content_type == _FORM):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            validate_request_body(content_type, body)
        except InvalidInput as error:
            await self._refuse(scope, receive, send, error)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
