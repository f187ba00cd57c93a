"""The OpenAPI document of the Jira-compatible API, served at /rest/openapi.json.

Handlers read Jira's loose bodies themselves (api/jira/bodies.py), so FastAPI cannot see them:
the request bodies are named here, by operation, as are the success bodies of the main
operations (both in api/jira/responses.py) and Jira's error shape, `{"errorMessages": [...],
"errors": {field: message}}`, for every error an operation can answer. Paths are written in
full (/rest/api/2/...), as clients call them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from tessera.api.jira import responses as shapes

DESCRIPTION = ("The subset of Jira Server's REST API v2, Agile 1.0 and auth 1 that Tessera serves, with "
               "Jira's shapes and status codes, and the same operations as Jira Cloud's REST v3 under "
               "`/rest/api/3/...` (users by accountId, rich text as Atlassian Document Format). Authenticate "
               "with HTTP Basic (email and password or API token) or a bearer token. `/rest/api/latest/...` "
               "answers as `/rest/api/2/...`.")
ERROR_REF = {"$ref": "#/components/schemas/JiraError"}
ALWAYS = {
    "400": "Bad input: `errors` names Jira's field, or `errorMessages` says what is wrong (JQL positions "
           "as Jira writes them).",
    "401": "Missing or invalid credentials.",
    "403": "Authenticated, but not allowed.",
    "404": "Not found, or in another organization.",
    "429": "A rate limit is reached; see Retry-After.",
}
WRITES = {"409": "Conflict with the current state or a concurrent change.",
          "412": "Precondition failed (a stale If-Match)."}
TOO_LARGE = {"413": {"description": "The request body is larger than the server accepts.",
                     "content": {"application/json": {"schema": {"type": "object"}}}}}
UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}
XSRF_HEADER = {"name": "X-Atlassian-Token", "in": "header", "required": True,
               "schema": {"type": "string", "enum": ["no-check"]}, "description": "Jira's XSRF check."}
WRITE_METHODS = {"post", "put", "patch", "delete"}
SERVER_PREFIX, CLOUD_PREFIX = "/api/2/", "/api/3/"
# Jira Software's builds and deployments APIs answer errors as an array (tessera.api.jira.errors).
DEVINFO_PREFIXES = ("/builds/0.1/", "/deployments/0.1/")
DEVINFO_ERRORS = {"type": "array", "items": {"type": "object", "required": ["message"], "properties": {
    "message": {"type": "string"}, "errorTraceId": {"type": "string"}}}}
DEVINFO_ERROR_REF = {"$ref": "#/components/schemas/DevInfoErrors"}


def _error(description: str, status: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
    if status == "429":
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return response


def _schema_of(model: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of a model (or list[model]) with its definitions moved to components."""
    if isinstance(model, list):
        return {"type": "array", "items": _schema_of(model[0], definitions)}
    assert issubclass(model, BaseModel)
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions.update(schema.pop("$defs", {}))
    definitions[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _document(key: tuple[str, str], operation: dict[str, Any], definitions: dict[str, Any]) -> None:
    """Body, success and error answers of one operation (in place). A /api/3 operation is its
    /api/2 twin but where Jira Cloud's dialect differs (shapes.CLOUD_*)."""
    method, path = key
    cloud = path.startswith(CLOUD_PREFIX)
    if cloud:
        key = (method, SERVER_PREFIX + path.removeprefix(CLOUD_PREFIX))
    body = (shapes.CLOUD_BODIES.get(key) if cloud else None) or shapes.BODIES.get(key)
    if body is not None:
        operation["requestBody"] = {"required": False, "content": {"application/json": {
            "schema": body if isinstance(body, dict) else _schema_of(body, definitions)}}}
    if key in shapes.UPLOADS:
        operation["requestBody"] = UPLOAD
        operation.setdefault("parameters", []).append(XSRF_HEADER)
    responses = operation.setdefault("responses", {})
    success = (shapes.CLOUD_SUCCESS.get(key) if cloud else None) or shapes.SUCCESS.get(key)
    if success is not None:
        status = next((s for s in responses if s.startswith("2")), "200")
        responses[status] = {"description": responses.get(status, {}).get("description", "OK"),
                             "content": {"application/json": {"schema": _schema_of(success, definitions)}}}
    responses.pop("422", None)  # Jira answers 400 for a malformed parameter or body
    if any(parameter.get("name", "").lower() == "idempotency-key" for parameter in operation.get("parameters", [])):
        responses["422"] = _error("The Idempotency-Key was used in the last 24 hours with another request.", "422")
    for status, description in {**ALWAYS, **(WRITES if method in WRITE_METHODS else {})}.items():
        responses.setdefault(status, _error(description, status))
    if key in shapes.READ_CONFLICTS:
        responses.setdefault("409", _error(shapes.READ_CONFLICTS[key], "409"))
    for status, model in shapes.OTHER_ERRORS.get(key, {}).items():
        responses[status]["content"]["application/json"]["schema"] = {
            "anyOf": [ERROR_REF, _schema_of(model, definitions)]}
    if "requestBody" in operation:
        responses.update(TOO_LARGE)


def _document_devinfo(method: str, operation: dict[str, Any]) -> None:
    """Builds and deployments: array-shaped errors, and the bulk body as Jira documents it."""
    for status, response in operation["responses"].items():
        if status.startswith("4") and "content" in response:
            response["content"]["application/json"]["schema"] = DEVINFO_ERROR_REF
    if method == "post":
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "description": "Jira's bulk body: `builds` or `deployments` (1..n items), "
                                             "`properties`, `providerMetadata`."}}}}


def build_jira_openapi(app: FastAPI, *, mounted_at: str) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=DESCRIPTION, routes=app.routes)
    definitions = schema.setdefault("components", {}).setdefault("schemas", {})
    definitions.pop("HTTPValidationError", None)
    definitions.pop("ValidationError", None)
    _schema_of(shapes.JiraError, definitions)
    definitions["DevInfoErrors"] = DEVINFO_ERRORS
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            _document((method, path), operation, definitions)
            if path.startswith(DEVINFO_PREFIXES):
                _document_devinfo(method, operation)
    schema["paths"] = {mounted_at + path: item for path, item in schema["paths"].items()}
    schema["components"]["securitySchemes"] = {"basic": {"type": "http", "scheme": "basic"},
                                               "bearer": {"type": "http", "scheme": "bearer"}}
    schema["security"] = [{"basic": []}, {"bearer": []}]
    return schema
