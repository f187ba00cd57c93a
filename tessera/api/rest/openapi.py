"""The /v2 OpenAPI document: FastAPI's, plus the error answers every operation can give.

Routes name their success bodies with `responses=` (models in api/rest/responses); the error
statuses are the same few for every operation, so they are added here once, by rule, rather
than repeated on each route: what the request edge can answer for any request (401, 403, 404,
400, 422, 429), what a write can meet (409; 412 where an If-Match or a stale version applies)
and what a body can hit (413). FastAPI's own 422 body is replaced by ours."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tessera.api.rest.responses.common import ErrorOut

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "integer"}}}
ALWAYS = {
    "400": "Bad input the body or parameters cannot express (malformed JSON, a bad JQL query, a bad value).",
    "401": "Missing or invalid credentials.",
    "403": "Authenticated, but not allowed (or a quota is reached).",
    "404": "Not found, or in another organization (which answers exactly like a missing one).",
    "422": "The body or a parameter does not match this operation's schema; `error.errors` names each place.",
    "429": "A rate limit (requests per minute, searches per hour, failed sign-ins) is reached; see Retry-After.",
}
WRITES = {"409": "Conflict: a stale `version`, a duplicate, a reused Idempotency-Key with another body, or a "
                 "concurrent change.",
          "412": "Precondition failed: the If-Match ETag is not the current one."}
BODY = {"413": "The request body is larger than the server accepts."}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _error(description: str, status: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {"application/json": {"schema": ERROR_REF}}}
    if status == "429":
        response["headers"] = RETRY_AFTER
    return response


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers to every /v2 operation (in place) and drop FastAPI's unused
    validation-error schemas."""
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in WRITE_METHODS | {"get", "head"}:
                continue
            responses = operation.setdefault("responses", {})
            statuses = dict(ALWAYS)
            if method in WRITE_METHODS or any(p.get("name", "").lower() == "if-match"
                                              for p in operation.get("parameters", [])):
                statuses.update(WRITES)
            if "requestBody" in operation:
                statuses.update(BODY)
            for status, description in statuses.items():
                if status == "422" or status not in responses:
                    responses[status] = _error(description, status)
                elif "content" not in responses[status]:  # a route's own words for it, in the error shape
                    responses[status] = {**_error(description, status), **responses[status],
                                         "content": _error(description, status)["content"]}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.setdefault("schemas", {}).update(error.pop("$defs", {}), ErrorOut=error)
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"},
                                     "basic": {"type": "http", "scheme": "basic"}}
    schema["security"] = [{"bearer": []}, {"basic": []}]
    return document_errors(schema)
