"""Queries at the parser's size limits run on both databases (SQLite refused long AND/OR chains
with "Expression tree is too large" and PostgreSQL's compile of 200 NOTs hit Python's recursion
limit), and queries beyond them answer 400 on every surface that takes JQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tessera.jql.parser import MAX_CLAUSES, MAX_NESTING
from tests.factories.web import open_session
from tests.support import OrgHandle


def _issue(client: TestClient, org: OrgHandle, project: dict, summary: str) -> dict:
    response = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "task", "summary": summary,
                                               "labels": ["tagged"]}, headers=org.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _keys(client: TestClient, org: OrgHandle, jql: str) -> list[str]:
    response = client.post("/v2/search", json={"jql": jql, "max_results": 10}, headers=org.headers)
    assert response.status_code == 200, response.text[:300]
    return sorted(issue["key"] for issue in response.json()["issues"])


def test_queries_at_the_limits_run_on_both_databases(client: TestClient, org: OrgHandle, project: dict) -> None:
    alpha, beta = _issue(client, org, project, "alpha report"), _issue(client, org, project, "beta report")
    both = sorted([alpha["key"], beta["key"]])
    anded = " AND ".join(f"created > \"{2000 + i % 20}-01-01\"" for i in range(MAX_CLAUSES - 1)) + " AND labels != nope"
    assert _keys(client, org, anded) == both
    ored = " OR ".join(f'summary ~ "nope{i}"' for i in range(MAX_CLAUSES - 1)) + ' OR summary ~ "alpha"'
    assert _keys(client, org, ored) == [alpha["key"]]
    # NOT (x OR NOT (y OR …)) with nothing matching x, y, …: an even number of NOTs keeps "beta".
    levels = MAX_NESTING // 2
    nested = 'NOT (summary ~ "nope" OR ' * levels + 'summary ~ "beta"' + ")" * levels
    assert _keys(client, org, nested) == ([beta["key"]] if levels % 2 == 0 else [alpha["key"]])
    assert _keys(client, org, "NOT " * MAX_NESTING + 'summary ~ "alpha"') == [alpha["key"]]


def test_queries_beyond_the_limits_answer_400_on_every_surface(client: TestClient, database_url: str,
                                                               org: OrgHandle, project: dict) -> None:
    too_many = " OR ".join(f'text ~ "a{i}"' for i in range(MAX_CLAUSES + 1))
    too_deep = "NOT " * (MAX_NESTING + 180) + "labels = x"
    for jql, limit in ((too_many, f"limit of {MAX_CLAUSES} clauses"), (too_deep, f"limit of {MAX_NESTING} levels")):
        native = client.post("/v2/search", json={"jql": jql}, headers=org.headers)
        assert native.status_code == 400 and limit in native.json()["error"]["message"]
        jira = client.get("/rest/api/2/search", params={"jql": jql}, headers=org.headers)
        assert jira.status_code == 400 and limit in jira.json()["errorMessages"][0]
        graphql = client.post("/graphql", json={"query": "query($jql: String!) { issues(jql: $jql) { totalCount } }",
                                                "variables": {"jql": jql}}, headers=org.headers)
        error = graphql.json()["errors"][0]
        assert limit in error["message"] and error["extensions"]["code"] == "BAD_INPUT"
        saved = client.post("/v2/filters", json={"name": "Too big", "jql": jql}, headers=org.headers)
        assert saved.status_code == 400 and limit in saved.json()["error"]["message"]
        board = client.post("/v2/boards", json={"name": "Too big", "project_id": project["id"], "jql": jql},
                            headers=org.headers)
        assert board.status_code == 400 and board.json()["error"]["field"] == "jql"
        assert limit in board.json()["error"]["message"]
    open_session(client, database_url, org)
    try:
        page = client.get("/search", params={"jql": too_deep})
    finally:
        client.cookies.clear()
    assert page.status_code == 400 and f"limit of {MAX_NESTING} levels" in page.text
