"""The failures every transport maps to a response, installed once per application: each edge
(/v2 and the web pages, /rest) passes its own renderers, so the set of failures and the
Idempotency-Key replay stay the same everywhere while the body shapes differ."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tessera.edge.idempotency import replayed
from tessera.errors import TesseraError
from tessera.tenancy.idempotency import Replayed

Renderer = Callable[[Request, Any], Awaitable[JSONResponse]]


def install_renderers(app: FastAPI, *, tessera_error: Renderer, validation_error: Renderer, http_error: Renderer,
                      integrity_error: Renderer, data_error: Renderer) -> None:
    """The failures every edge maps, each edge rendering them in its own shape; a replayed
    Idempotency-Key answers the stored response whatever the edge."""
    app.add_exception_handler(Replayed, replayed)  # type: ignore[arg-type]
    app.add_exception_handler(TesseraError, tessera_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(IntegrityError, integrity_error)
    app.add_exception_handler(DBAPIError, data_error)
