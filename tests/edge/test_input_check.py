"""What no edge lets through, on SQLite and PostgreSQL alike: JSON nesting beyond the limit
(which crashed /rest and /graphql with RecursionError) and NUL or unpaired surrogates in any
string, form field or query parameter (which SQLite stored and PostgreSQL refused). Each edge
answers 400 in its own shape, naming the field."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tessera.inputs.json_text import MAX_DEPTH
from tests.support import OrgHandle

DEEP = "[" * 100_000 + "]" * 100_000  # 200 KB
TOO_DEEP = f"The request body nests deeper than {MAX_DEPTH} levels."


def post_raw(client: TestClient, path: str, text: str, org: OrgHandle):  # type: ignore[no-untyped-def]
    return client.post(path, content=text.encode("utf-8", "surrogatepass"),
                       headers={**org.headers, "Content-Type": "application/json"})


def test_deep_json_is_refused_in_each_edges_shape(client: TestClient, org: OrgHandle, project: dict) -> None:
    native = post_raw(client, "/v2/issues", DEEP, org)
    assert native.status_code == 400
    assert native.json()["error"]["code"] == "json_too_deep" and native.json()["error"]["message"] == TOO_DEEP
    jira = post_raw(client, "/rest/api/2/issue", DEEP, org)
    assert (jira.status_code, jira.json()) == (400, {"errorMessages": [TOO_DEEP], "errors": {}})
    graphql = post_raw(client, "/graphql", DEEP, org)
    assert graphql.status_code == 400
    assert graphql.json()["errors"][0]["message"] == TOO_DEEP
    assert graphql.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    variables = client.get("/graphql", params={"query": "{ projects { key } }", "variables": "[" * 1000 + "]" * 1000},
                           headers=org.headers)
    assert variables.status_code == 400 and variables.json()["errors"][0]["message"] == TOO_DEEP


def test_deep_json_is_refused_where_the_edge_reads_any_content_type(client: TestClient, org: OrgHandle,
                                                                     project: dict) -> None:
    """/rest reads a body as JSON whatever its content type; it uses the same reader."""
    jira = client.post("/rest/api/2/issue", content=DEEP, headers={**org.headers, "Content-Type": "text/plain"})
    assert (jira.status_code, jira.json()) == (400, {"errorMessages": [TOO_DEEP], "errors": {}})


@pytest.mark.parametrize("bad", ["\u0000", "\ud800"], ids=["nul", "lone-surrogate"])
def test_unstorable_text_is_refused_on_every_database(client: TestClient, org: OrgHandle, project: dict,
                                                      bad: str) -> None:
    def create(body: dict) -> dict:
        response = post_raw(client, "/v2/issues", json.dumps(body), org)
        return response.json() | {"status": response.status_code}

    base = {"project_id": project["id"], "issue_type": "task", "summary": "fine"}
    summary = create({**base, "summary": f"a{bad}b"})
    assert summary["status"] == 400 and summary["error"]["field"] == "summary"
    assert summary["error"]["code"] == "invalid_text"
    label = create({**base, "labels": ["ok", f"x{bad}"]})
    assert label["status"] == 400 and label["error"]["field"] == "labels.1"
    issue = create(base)
    assert issue["status"] == 201
    comment = post_raw(client, f"/v2/issues/{issue['id']}/comments", json.dumps({"body": f"hi{bad}"}), org)
    assert comment.status_code == 400 and comment.json()["error"]["field"] == "body"
    saved = post_raw(client, "/v2/filters", json.dumps({"name": f"mine{bad}", "jql": "order by key"}), org)
    assert saved.status_code == 400 and saved.json()["error"]["field"] == "name"
    user = post_raw(client, "/v2/users", json.dumps({"email": f"a{bad}@example.com", "name": "A"}), org)
    assert user.status_code == 400 and user.json()["error"]["field"] == "email"
    jira = post_raw(client, "/rest/api/2/issue", json.dumps({"fields": {
        "project": {"key": project["key"]}, "issuetype": {"name": "Task"}, "summary": f"x{bad}"}}), org)
    assert jira.status_code == 400 and list(jira.json()["errors"]) == ["summary"]
    # Nothing of the refused requests was stored: the one issue is the fine one.
    found = client.post("/v2/search", json={"jql": f"project = {project['key']}"}, headers=org.headers).json()
    assert [i["summary"] for i in found["issues"]] == ["fine"]


def test_nul_in_query_parameters_forms_and_paths_is_refused(client: TestClient, org: OrgHandle,
                                                            project: dict) -> None:
    native = client.get("/v2/search", params={"jql": "summary ~ \"a\u0000\""}, headers=org.headers)
    assert native.status_code == 400 and native.json()["error"]["field"] == "jql"
    jira = client.get("/rest/api/2/search", params={"jql": "a\u0000"}, headers=org.headers)
    assert jira.status_code == 400  # Jira reports JQL errors as messages
    assert jira.json()["errorMessages"] == ["'jql' holds a NUL character, which Tessera does not store."]
    path = client.get(f"/v2/projects/{project['key']}%00", headers=org.headers)
    assert path.status_code == 400 and path.json()["error"]["field"] == "path"
    page = client.post("/signin", data={"email": "a\u0000@example.com", "password": "x"})
    assert page.status_code == 400 and "text/html" in page.headers["content-type"]
    assert "NUL" in page.text
