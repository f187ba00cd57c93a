"""/rest publishes its own OpenAPI document (issue 13): Jira's operations under their full
paths, their bodies, Jira's error shape for every error, and success schemas for the main ones."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from tessera.api.jira.responses import SUCCESS
from tests.support import OrgHandle


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/rest/openapi.json")  # public, like /v2/openapi.json
    assert response.status_code == 200
    return response.json()


def test_paths_are_full_and_each_operation_documents_jira_errors(document: dict[str, Any]) -> None:
    assert document["paths"] and all(path.startswith(("/rest/api/2/", "/rest/api/3/", "/rest/agile/1.0/", "/rest/auth/1/",
                                                      "/rest/applinks/latest/", "/rest/webhooks/1.0/",
                                                      "/rest/builds/0.1/", "/rest/deployments/0.1/",
                                                      "/rest/greenhopper/1.0/"))
                                 for path in document["paths"])
    assert "/rest/api/2/issue/{issue_ref}" in document["paths"]
    error = document["components"]["schemas"]["JiraError"]
    assert set(error["required"]) == {"errorMessages", "errors"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"400", "401", "403", "404", "429"} <= set(responses), (method, path)
            keyed = any(p["name"].lower() == "idempotency-key" for p in operation.get("parameters", []))
            # Jira answers 400 for bad input; 422 is only a reused Idempotency-Key's answer.
            assert ("422" in responses) == keyed, (method, path)
            schema = responses["404"]["content"]["application/json"]["schema"]
            # Jira Software's builds and deployments APIs answer errors as an array of messages.
            shape = "DevInfoErrors" if path.startswith(("/rest/builds/", "/rest/deployments/")) else "JiraError"
            assert schema == {"$ref": f"#/components/schemas/{shape}"}, (method, path)


def test_main_operations_have_success_schemas_and_bodies(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for method, path in SUCCESS:
        operation = document["paths"]["/rest" + path][method]
        [status] = [s for s in operation["responses"] if s.startswith("2")]
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        schema = schema.get("items", schema)
        assert schemas[schema["$ref"].rsplit("/", 1)[-1]]["properties"], (method, path)
    issue = schemas["JiraIssue"]
    assert {"id", "key", "self", "fields"} <= set(issue["required"])
    create = document["paths"]["/rest/api/2/issue"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/IssueBody"}
    upload = document["paths"]["/rest/api/2/issue/{issue_ref}/attachments"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert any(p["name"] == "X-Atlassian-Token" for p in upload["parameters"])


def test_real_answers_conform(client: TestClient, document: dict[str, Any], org: OrgHandle) -> None:
    def check(path: str, method: str, status: int, body: Any) -> None:
        schema = document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
        jsonschema.validate(body, {**schema, "components": document["components"]})

    assert client.post("/v2/projects", json={"key": "DOC", "name": "Doc"}, headers=org.headers).status_code == 201
    created = client.post("/rest/api/2/issue", json={"fields": {"project": {"key": "DOC"}, "summary": "Doc",
                                                                "issuetype": {"name": "Task"}}}, headers=org.headers)
    check("/rest/api/2/issue", "post", 201, created.json())
    check("/rest/api/2/issue/{issue_ref}", "get", 200,
          client.get("/rest/api/2/issue/DOC-1", headers=org.headers).json())
    check("/rest/api/2/search", "get", 200, client.get("/rest/api/2/search?jql=project=DOC", headers=org.headers).json())
    check("/rest/api/2/serverInfo", "get", 200, client.get("/rest/api/2/serverInfo", headers=org.headers).json())
    missing = client.get("/rest/api/2/issue/DOC-99", headers=org.headers)
    assert missing.status_code == 404
    check("/rest/api/2/issue/{issue_ref}", "get", 404, missing.json())
    with pytest.raises(jsonschema.ValidationError):
        check("/rest/api/2/issue/{issue_ref}", "get", 404, {"error": {"code": "not_found"}})


def test_cloud_operations_are_documented_in_their_dialect(client: TestClient, document: dict[str, Any],
                                                          org: OrgHandle) -> None:
    """/rest/api/3 repeats /rest/api/2 with Cloud's bodies: ADF comments, PageBeans, the enhanced search."""
    def schema_of(path: str, method: str, status: str = "200") -> dict[str, Any]:
        return document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    assert {"/rest/api/3/issue/{issue_ref}", "/rest/api/3/search/jql", "/rest/api/2/search/jql",
            "/rest/api/3/project/search", "/rest/api/3/issue/{issue_ref}/changelog"} <= set(document["paths"])
    assert schema_of("/rest/api/3/issue/{issue_ref}/comment", "post", "201")["$ref"].endswith("/CloudComment")
    assert schema_of("/rest/api/2/issue/{issue_ref}/comment", "post", "201")["$ref"].endswith("/JiraComment")
    assert client.post("/v2/projects", json={"key": "ADF", "name": "Adf"}, headers=org.headers).status_code == 201
    created = client.post("/rest/api/3/issue", json={"fields": {"project": {"key": "ADF"}, "summary": "Doc",
                                                                "issuetype": {"name": "Task"}}}, headers=org.headers)
    comment = client.post("/rest/api/3/issue/ADF-1/comment", json={"body": {
        "type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hi"}]}]}},
        headers=org.headers)
    found = client.get("/rest/api/3/search/jql", params={"jql": "project = ADF"}, headers=org.headers)
    projects = client.get("/rest/api/3/project/search", headers=org.headers)
    for path, method, status, response in (("/rest/api/3/issue", "post", "201", created),
                                           ("/rest/api/3/issue/{issue_ref}/comment", "post", "201", comment),
                                           ("/rest/api/3/search/jql", "get", "200", found),
                                           ("/rest/api/3/project/search", "get", "200", projects)):
        assert response.status_code == int(status), response.text
        jsonschema.validate(response.json(), {**schema_of(path, method, status), "components": document["components"]})
