"""The one place where errors become GraphQL errors: every error carries `extensions.code`
(BAD_INPUT, NOT_FOUND, FORBIDDEN, CONFLICT, UNAUTHENTICATED, RATE_LIMITED, ...), the input field
at fault in `extensions.field` where there is one, and the domain error's data (e.g. a version
conflict's `currentVersion`). Anything unexpected is logged and answered as INTERNAL_SERVER_ERROR
without its details. Another organization's resource answers NOT_FOUND exactly like a missing
one, because the domain raises the same NotFound for both."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse
from strawberry.extensions import SchemaExtension

from tessera.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    QuotaExceeded,
    RateLimited,
    TesseraError,
)

log = logging.getLogger("tessera.graphql")
INTERNAL = "INTERNAL_SERVER_ERROR"
# Most specific first: QuotaExceeded is not a PermissionDenied, PreconditionFailed is a Conflict.
_CODES: tuple[tuple[type[TesseraError], str], ...] = (
    (InvalidInput, "BAD_INPUT"), (PayloadTooLarge, "BAD_INPUT"), (NotFound, "NOT_FOUND"),
    (NotAuthenticated, "UNAUTHENTICATED"), (PermissionDenied, "FORBIDDEN"), (QuotaExceeded, "QUOTA_EXCEEDED"),
    (Conflict, "CONFLICT"), (RateLimited, "RATE_LIMITED"))


def camel(name: str) -> str:
    """`assignee_id` → `assigneeId`, per dotted part (`fields.fix_versions` → `fields.fixVersions`)."""
    return ".".join(re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), part) for part in name.split("."))


def code_of(error: TesseraError) -> str:
    return next((code for kind, code in _CODES if isinstance(error, kind)), "BAD_INPUT")


def _domain_extensions(error: TesseraError) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": code_of(error), "reason": error.code}
    if error.field:
        extensions["field"] = error.field
    errors = getattr(error, "errors", None)
    if errors and len(errors) > 1:
        extensions["errors"] = errors
    extensions.update({camel(key): value for key, value in error.data.items()})
    return extensions


def _database_extensions(error: DBAPIError) -> tuple[str, dict[str, Any]] | None:
    """Values a client can send that the database refuses are bad input, as for /v2."""
    if isinstance(error, IntegrityError):
        return "The change conflicts with a concurrent change; try again.", {"code": "CONFLICT"}
    if str(getattr(error.orig, "sqlstate", None) or "").startswith("22"):
        return "The request holds a value that cannot be stored, such as a NUL character in text.", {
            "code": "BAD_INPUT"}
    return None


def formatted(error: GraphQLError) -> GraphQLError:
    """The error as clients see it; `error` itself when it needs nothing."""
    original = error.original_error
    if isinstance(original, GraphQLError) and original is not error:
        return formatted(GraphQLError(original.message, error.nodes, error.source, error.positions, error.path,
                                      original.original_error, original.extensions))
    message, extensions = error.message, dict(error.extensions or {})
    if isinstance(original, TesseraError):
        message, extensions = original.message, {**_domain_extensions(original), **extensions}
    elif isinstance(original, DBAPIError) and (known := _database_extensions(original)):
        message, extensions = known[0], {**known[1], **extensions}
    elif original is not None:
        log.error("GraphQL resolver failed at %s", error.path, exc_info=original)
        message, extensions = "Something went wrong on our side.", {"code": INTERNAL}
    elif "code" not in extensions:
        extensions["code"] = "GRAPHQL_PARSE_FAILED" if isinstance(error, GraphQLSyntaxError) \
            else "GRAPHQL_VALIDATION_FAILED"
    if message == error.message and extensions == (error.extensions or {}):
        return error
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, None, extensions)


def _format_result(result: object) -> None:
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = [formatted(error) for error in errors]  # type: ignore[attr-defined]


class ErrorCodes(SchemaExtension):
    """Formats every result's errors, for HTTP responses and for each subscription message."""

    def on_operation(self) -> Iterator[None]:
        yield
        _format_result(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        _format_result(result)
        yield None


@contextmanager
def input_errors(prefix: str = "", renames: dict[str, str] | None = None) -> Iterator[None]:
    """Name the GraphQL input at fault: the domain's `assignee_id` becomes `input.assigneeId`
    (or what `renames` says); pydantic's validation errors become BAD_INPUT named the same way."""
    def name(field: str) -> str:
        field = (renames or {}).get(field, field)
        return f"{prefix}.{camel(field)}" if prefix else camel(field)

    try:
        yield
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{name(location)}: {first['msg']}", field=name(location),
                           code="validation_failed") from None
    except TesseraError as error:
        if error.field:
            error.field = name(error.field)
            if isinstance(error, InvalidInput):
                error.errors = {name(key): value for key, value in error.errors.items()}
        raise


async def refused(request: Request, error: TesseraError) -> JSONResponse:
    """Input refused before the query ran (tessera.edge.input_check), as a GraphQL error."""
    return JSONResponse({"errors": [{"message": error.message, "extensions": _domain_extensions(error)}]},
                        status_code=error.status)


def failed(request: Request, request_id: str) -> JSONResponse:
    """The 500 of tessera.edge.guard, which has logged the failure under `request_id`."""
    return JSONResponse({"errors": [{"message": f"Something went wrong on our side (request id {request_id}).",
                                     "extensions": {"code": INTERNAL, "requestId": request_id}}]}, status_code=500)
