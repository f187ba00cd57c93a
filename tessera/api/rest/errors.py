"""The one place where errors become HTTP responses for the native API and the web pages.

Body shape: {"error": {"code", "message", "field", "errors", "details", ...data}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tessera.edge.error_handlers import install_renderers
from tessera.errors import RateLimited, TesseraError

# For `responses=` of the routes that can answer these (the body is the error shape below).
VERSION_DOC: dict[int | str, dict[str, Any]] = {
    409: {"description": "The `version` sent is no longer current: the change was not made."},
    412: {"description": "The `If-Match` sent is no longer current: the change was not made."}}
SEARCH_QUOTA_DOC: dict[int | str, dict[str, Any]] = {
    429: {"description": "The organization's searches per hour are spent; `Retry-After` says for how long."}}


def error_body(code: str, message: str, *, field: str | None = None, errors: dict[str, str] | None = None,
               details: list[dict[str, Any]] | None = None, data: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    if details:
        body["details"] = details
    if data:
        body.update(data)
    return {"error": body}


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body",)]
    return ".".join(parts) or "body"


def _clean_validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        message = error.get("msg", "invalid value")
        # Never echo a huge input back.
        details.append({"location": _location(loc), "type": error.get("type", "value_error"), "message": message})
    return details


async def tessera_error(request: Request, exc: TesseraError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return JSONResponse(error_body(exc.code, exc.message, field=exc.field, errors=getattr(exc, "errors", None),
                                   data=exc.data), status_code=exc.status, headers=headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = _clean_validation_errors(exc)
    if any(d["type"] == "json_invalid" for d in details):
        return JSONResponse(error_body("malformed_json", "The request body is not valid JSON.", details=details),
                            status_code=400)
    first = details[0] if details else {"location": "body", "message": "invalid"}
    errors = {d["location"]: d["message"] for d in details}
    return JSONResponse(error_body("validation_failed", f"{first['location']}: {first['message']}",
                                   field=first["location"], errors=errors, details=details), status_code=422)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    codes = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated", 403: "permission_denied"}
    return JSONResponse(error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
                        status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    # A uniqueness race that the service's own check could not see (two writers at once).
    return JSONResponse(error_body("conflict", "The change conflicts with a concurrent change; try again."),
                        status_code=409)


async def data_error(request: Request, exc: DBAPIError) -> JSONResponse:
    """PostgreSQL refuses some values a client can send (a NUL character in text, SQLSTATE class
    22 "data exception"); that is bad input, not our failure. Anything else stays a 500."""
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if not sqlstate.startswith("22"):
        raise exc  # a failure: tessera.edge.guard answers it
    return JSONResponse(error_body("invalid_input", "The request holds a value that cannot be stored, such as a "
                                   "NUL character in text."), status_code=400)


def internal_error(request: Request, request_id: str) -> JSONResponse:
    """The 500 of tessera.edge.guard, which has logged the failure under `request_id`."""
    return JSONResponse(error_body("internal_error", f"Something went wrong on our side (request id {request_id}).",
                                   data={"request_id": request_id}), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    install_renderers(app, tessera_error=tessera_error, validation_error=validation_error,  # type: ignore[arg-type]
                      http_error=http_error, integrity_error=integrity_error, data_error=data_error)
