"""A board's configuration is checked when saved: a bad one answers 400 naming the place of each
mistake."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.boards import error, new_board, ok
from tests.support import OrgHandle


def test_a_bad_configuration_answers_400_naming_the_place(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    board = new_board(client, h, project)
    url = f"/v2/boards/{board['id']}"
    cases = [
        ({"columns": [{"name": "A", "status_ids": ["To Do"]}, {"name": "B", "status_ids": ["Nope"]}]},
         "columns.1.status_ids"),
        ({"columns": [{"name": "A", "status_ids": ["To Do"]}, {"name": "B", "status_ids": ["to do"]}]},
         "columns.1.status_ids"),
        ({"columns": [{"name": "A", "status_ids": [], "min": 4, "max": 2}]}, "columns.0.min"),
        ({"columns": [{"name": "A"}, {"name": "a"}]}, "columns.1.name"),
        ({"columns": []}, "columns"),
        ({"quick_filters": [{"name": "Broken", "jql": "status = = 1"}]}, "quick_filters.0.jql"),
        ({"quick_filters": [{"name": "Unknown", "jql": "nosuchfield = 1"}]}, "quick_filters.0.jql"),
        ({"quick_filters": [{"id": 3, "name": "A", "jql": "type = Bug"}, {"id": 3, "name": "B", "jql": "type = Bug"}]},
         "quick_filters.1.id"),
        ({"swimlanes": {"type": "queries", "queries": [{"name": "X", "jql": "project = NOPE"}]}},
         "swimlanes.queries.0.jql"),
        ({"swimlanes": {"type": "queries"}}, "swimlanes.queries"),
        ({"sub_filter": "priority = High"}, "sub_filter"),  # a Scrum board has none
        ({"filter_id": 987654321}, "filter_id"),
    ]
    for body, field in cases:
        found = error(client.put(url, json=body, headers=h), 400)
        assert found["field"] == field, (body, found)
    assert ok(client.get(url, headers=h))["version"] == 1  # nothing changed
    create_cases = [({"project_id": "NOPE"}, "project_id"), ({"filter_id": 987654321}, "filter_id"),
                    ({"jql": "project = NOPE"}, "jql"), ({"jql": "", "filter_id": board["filter"]["id"]}, "jql")]
    for body, field in create_cases:
        found = error(client.post("/v2/boards", json={"name": "X", "project_id": project["id"], **body},
                                  headers=h), 400)
        assert found["field"] == field, (body, found)
    assert error(client.post("/v2/boards", json={"name": "X", "project_id": project["id"], "type": "sprint"},
                             headers=h), 422)["field"] == "type"
