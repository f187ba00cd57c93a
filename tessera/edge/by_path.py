"""The edges of the app by path (/v2, /rest, /graphql, the web pages), each with its own way of
saying "your input was refused" and "we failed". The middleware in front of every route
(tessera.edge.guard, tessera.edge.input_check) answers in the shape of the edge a request came to,
so a client of /rest never sees /v2's error shape, even for what no route handled."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp

from tessera.errors import TesseraError


@dataclass(frozen=True)
class Edge:
    """`prefix` is a path prefix ("/rest"); "" matches every path, so put it last.
    `refused` renders a domain error (bad input found before any route ran); `failed` renders an
    unexpected failure as a 500 that carries the request id."""

    prefix: str
    refused: Callable[[Request, TesseraError], Awaitable[Response]]
    failed: Callable[[Request, str], Response]

    def serves(self, path: str) -> bool:
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")


def edge_for(edges: Sequence[Edge], path: str) -> Edge:
    return next(edge for edge in edges if edge.serves(path))


def edge_mount(prefix: str, app: ASGIApp) -> Mount:
    """`app` mounted at `prefix`, taking every path under it. Starlette's mount pattern (`.*`)
    stops at a newline, so a path such as `/rest/api/2/issue/%0A1` would fall through to the main
    app and answer a 404 in another edge's shape."""
    mount = Mount(prefix, app=app)
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount
