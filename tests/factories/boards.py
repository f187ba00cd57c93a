"""Building boards, sprints and issues through the API for the agile tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

Headers = dict[str, str]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def error(response: Any, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def new_issue(client: TestClient, headers: Headers, project: dict, summary: str, **fields: Any) -> dict:
    body = {"project_id": project["id"], "issue_type": "Story", "summary": summary, **fields}
    return ok(client.post("/v2/issues", json=body, headers=headers), 201)


def new_board(client: TestClient, headers: Headers, project: dict, **spec: Any) -> dict:
    return ok(client.post("/v2/boards", json={"name": "Board", "project_id": project["id"], **spec},
                          headers=headers), 201)


def new_sprint(client: TestClient, headers: Headers, board: dict, **spec: Any) -> dict:
    return ok(client.post(f"/v2/boards/{board['id']}/sprints", json=spec, headers=headers), 201)


def add_to_sprint(client: TestClient, headers: Headers, sprint: dict, *issues: dict, **extra: Any) -> dict:
    return ok(client.post(f"/v2/sprints/{sprint['id']}/issues", json={"issues": [i["key"] for i in issues], **extra},
                          headers=headers))


def backlog_keys(client: TestClient, headers: Headers, board: dict, **params: Any) -> list[str]:
    page = ok(client.get(f"/v2/boards/{board['id']}/backlog", params=params, headers=headers))
    return [card["key"] for card in page["issues"]]


def columns(client: TestClient, headers: Headers, board: dict, **params: Any) -> dict[str, list[str]]:
    view = ok(client.get(f"/v2/boards/{board['id']}/issues", params=params, headers=headers))
    return {column["name"]: [card["key"] for card in column["issues"]] for column in view["columns"]}


def rank(client: TestClient, headers: Headers, issue: dict, **where: Any) -> Any:
    return client.put(f"/v2/issues/{issue['id']}/rank", json=where, headers=headers)


def search_keys(client: TestClient, headers: dict, jql: str) -> list[str]:
    found = ok(client.post("/v2/search", json={"jql": jql + " ORDER BY key", "max_results": 100}, headers=headers))
    return [issue["key"] for issue in found["issues"]]


def finish(client: TestClient, headers: dict, issue: dict) -> None:
    for transition in ("21", "31"):
        ok(client.post(f"/v2/issues/{issue['id']}/transitions/{transition}", json={}, headers=headers))
