"""The one place where errors become responses on /rest/*, in Jira's shape:
`{"errorMessages": [...], "errors": {"field": "message"}}` with Jira's status codes.

A value error about one field goes under `errors` with Jira's name for the field; anything
else (not found, permissions, JQL) is an entry of `errorMessages`. JQL positions read as
Jira writes them: "(line 1, character 14)"."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tessera.edge.error_handlers import install_renderers
from tessera.errors import InvalidInput, NotAuthenticated, RateLimited, TesseraError

# Tessera's field names (in domain errors) -> Jira's field ids.
JIRA_FIELDS = {"project_id": "project", "issue_type": "issuetype", "assignee_id": "assignee",
               "reporter_id": "reporter", "fix_versions": "fixVersions", "affected_versions": "versions",
               "due_date": "duedate", "parent_id": "parent", "transition_id": "transition", "user_id": "username",
               "issue_id": "issue", "outward_issue": "inwardIssue", "inward_issue": "outwardIssue",
               "security_level": "security"}
_POSITION = re.compile(r"\(line ([0-9]+), column ([0-9]+)\)")
_DEVINFO = re.compile(r"^/(rest|jira)/(builds|deployments)/0\.1/")
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."


def jira_body(messages: list[str] | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"errorMessages": list(messages or []), "errors": dict(errors or {})}


def jira_field(name: str) -> str:
    for prefix in ("custom_fields.", "fields.", "body."):
        name = name.removeprefix(prefix)
    return JIRA_FIELDS.get(name, name)


def error_shape(exc: TesseraError) -> dict[str, Any]:
    message = _POSITION.sub(r"(line \1, character \2)", exc.message)
    errors = getattr(exc, "errors", None) or {}
    if isinstance(exc, InvalidInput) and errors and not exc.code.startswith("jql") and exc.field != "jql":
        return jira_body([], {jira_field(str(name)): str(text) for name, text in errors.items()})
    if isinstance(exc, NotAuthenticated):
        return jira_body([NOT_AUTHENTICATED])
    return jira_body([message])


def _is_devinfo(request: Request) -> bool:
    """Jira Software's builds and deployments APIs answer errors as a JSON array of
    `{message, errorTraceId}`, not in Jira's `errorMessages` shape (reference §3.4)."""
    return _DEVINFO.search(request.url.path) is not None


def devinfo_errors(*messages: str) -> list[dict[str, str]]:
    return [{"message": message, "errorTraceId": uuid.uuid4().hex} for message in messages]


async def tessera_error(request: Request, exc: TesseraError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if isinstance(exc, NotAuthenticated):
        headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
    if _is_devinfo(request):
        return JSONResponse(devinfo_errors(exc.message), status_code=exc.status, headers=headers)
    return JSONResponse(error_shape(exc), status_code=exc.status, headers=headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors: dict[str, str] = {}
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
        errors[jira_field(location or "body")] = str(error.get("msg", "invalid value"))
    return JSONResponse(jira_body([], errors), status_code=400)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    messages = {404: "null for uri: " + str(request.url), 405: "Method Not Allowed"}
    if _is_devinfo(request):
        return JSONResponse(devinfo_errors(messages.get(exc.status_code, str(exc.detail))),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))
    return JSONResponse(jira_body([messages.get(exc.status_code, str(exc.detail))]), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    return JSONResponse(jira_body(["The change conflicts with a concurrent change; try again."]), status_code=409)


async def data_error(request: Request, exc: DBAPIError) -> JSONResponse:
    if not str(getattr(exc.orig, "sqlstate", None) or "").startswith("22"):
        raise exc  # a failure: tessera.edge.guard answers it
    return JSONResponse(jira_body(["The request holds a value that cannot be stored, such as a NUL character."]),
                        status_code=400)


def internal_error(request: Request, request_id: str) -> JSONResponse:
    """The 500 of tessera.edge.guard, which has logged the failure under `request_id`."""
    return JSONResponse({**jira_body([f"Internal server error (request id {request_id})."]), "requestId": request_id},
                        status_code=500)


def install_jira_error_handlers(app: FastAPI) -> None:
    install_renderers(app, tessera_error=tessera_error, validation_error=validation_error,  # type: ignore[arg-type]
                      http_error=http_error, integrity_error=integrity_error, data_error=data_error)
