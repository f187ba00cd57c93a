"""The /v2 OpenAPI document names a real schema for every success body and documents the error
answers (issue 13: "success responses of /v2 have real schemas ... every status code an
operation can answer is documented"); real answers conform to it."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from tests.support import OrgHandle


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    return client.get("/v2/openapi.json").json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items()]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_json_success_body_has_a_schema_with_properties(document: dict[str, Any]) -> None:
    vague = []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if not status.startswith("2") or schema is None:
                continue
            resolved = _resolve(document, schema)
            if resolved.get("type") == "array":
                resolved = _resolve(document, resolved["items"])
            if not resolved.get("properties"):
                vague.append(f"{method.upper()} {path} {status}")
    assert not vague, vague
    # Bodiless successes are 204s only (and the attachment's bytes).
    for method, path, operation in _operations(document):
        successes = [s for s in operation["responses"] if s.startswith("2")]
        assert successes, (method, path)
        for status in successes:
            content = operation["responses"][status].get("content", {})
            assert status == "204" or content, (method, path, status)


def test_every_operation_documents_its_errors_in_the_v2_error_shape(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        expected = {"400", "401", "403", "404", "422", "429"}
        if method in ("post", "put", "delete"):
            expected |= {"409", "412"}
        if "requestBody" in operation:
            expected.add("413")
        assert expected <= set(responses), (method, path, expected - set(responses))
        for status in expected:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
        assert "Retry-After" in responses["429"]["headers"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]


def _validate(document: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    schema = document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": document["components"]})


def test_real_answers_conform(client: TestClient, org: OrgHandle, project: dict, document: dict[str, Any]) -> None:
    created = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "Doc",
                                              "labels": ["x"], "due_date": "2030-01-01"}, headers=org.headers)
    assert created.status_code == 201, created.text
    _validate(document, "/v2/issues", "post", 201, created.json())
    issue_id = created.json()["id"]
    read = client.get(f"/v2/issues/{issue_id}?expand=changelog", headers=org.headers)
    _validate(document, "/v2/issues/{issue_id}", "get", 200, read.json())
    found = client.post("/v2/search", json={"jql": f"project = {project['key']}", "fields": ["summary"]},
                        headers=org.headers)
    assert found.json()["issues"] and set(found.json()["issues"][0]) <= {"id", "key", "self", "summary"}
    _validate(document, "/v2/search", "post", 200, found.json())
    missing = client.get("/v2/issues/999999999", headers=org.headers)
    assert missing.status_code == 404
    _validate(document, "/v2/issues/{issue_id}", "get", 404, missing.json())
    invalid = client.post("/v2/issues", json={"summary": 3}, headers=org.headers)
    assert invalid.status_code == 422
    _validate(document, "/v2/issues", "post", 422, invalid.json())
    with pytest.raises(jsonschema.ValidationError):
        _validate(document, "/v2/issues/{issue_id}", "get", 200, {**read.json(), "status": None})
