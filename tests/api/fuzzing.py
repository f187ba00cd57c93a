"""What the schemathesis runs over /v2 and /rest share: loading an OpenAPI document's operations,
sending a generated case through the test client, and the checks every answer must pass (no
5xx, a documented status, a body the documented schema accepts)."""

from __future__ import annotations

import os
from typing import Any

import httpx
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def operations(client: TestClient, document_url: str) -> list[Any]:
    schema = schemathesis.openapi.from_dict(client.get(document_url).json())
    found = [result.ok() for result in schema.get_all_operations()]
    # Deletes last, so that the other operations meet real rows.
    return sorted(found, key=lambda op: (op.method.upper() == "DELETE", op.path, op.method))


def send(client: TestClient, case: Any) -> httpx.Response | None:
    """The case through the test client; None when the client library refuses to send it."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    request: dict[str, Any] = {"params": kwargs.get("params") or None, "headers": kwargs.get("headers")}
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    if kwargs.get("files") is not None:  # multipart (attachment uploads): let the client frame it
        request["files"] = [(name, part if isinstance(part, tuple) and isinstance(part[1], (bytes, str))
                             else (part[0], str(part[1])) if isinstance(part, tuple) else (None, str(part)))
                            for name, part in kwargs["files"]]
        request["headers"] = {k: v for k, v in (request["headers"] or {}).items() if k.lower() != "content-type"}
    try:
        return client.request(kwargs["method"], kwargs["url"], **request)
    except (UnicodeEncodeError, httpx.InvalidURL, httpx.LocalProtocolError):
        return None  # nothing reached the server


def conformance_failures(case: Any, response: httpx.Response, label: str) -> list[str]:
    """What `CHECKS` find wrong with one answer, each with enough to replay the request."""
    response.request.read()  # a multipart upload is streamed; the checks read the request back
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        what = "; ".join(f"{getattr(f, 'title', type(f).__name__)}: {str(getattr(f, 'message', f))[:300]}"
                         for f in group.exceptions)
        return [f"{label} -> {response.status_code}: {what}\n  {case.method} {case.formatted_path} "
                f"{str(case.query)[:100]}\n  {response.text[:200]}"]
    return []


def dump(failures: list[str]) -> None:
    """FUZZ_DUMP=path writes every failure there (an assertion message shows the first ten)."""
    if os.environ.get("FUZZ_DUMP"):
        with open(os.environ["FUZZ_DUMP"], "a") as out:
            out.write("\n\n".join(failures) + "\n")
