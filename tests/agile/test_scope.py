"""A started sprint's scope record: changes after the start are recorded whichever path made them
(the board, the sprint endpoints, a plain issue edit)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories.boards import add_to_sprint, finish, new_board, new_issue, new_sprint, ok
from tests.support import OrgHandle


def scope(client: TestClient, headers: dict, sprint: dict) -> list[tuple[Any, ...]]:
    record = ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=headers))
    return [(c["issue_key"], c["change"], c["from_estimate"], c["to_estimate"]) for c in record["changes"]]


def test_scope_changes_after_the_start_are_recorded_from_any_path(client: TestClient, org: OrgHandle,
                                                                  project: dict) -> None:
    h = org.headers
    board = new_board(client, h, project)
    sprint = new_sprint(client, h, board)
    a, b, c, d = (new_issue(client, h, project, name, custom_fields={"story_points": points})
                  for name, points in (("A", 3), ("B", 5), ("C", 2), ("D", 1)))
    add_to_sprint(client, h, sprint, a, b)
    ok(client.put(f"/v2/issues/{a['id']}", json={"custom_fields": {"story_points": 4}}, headers=h))  # before start
    ok(client.post(f"/v2/sprints/{sprint['id']}/start", headers=h))
    add_to_sprint(client, h, sprint, c)  # through the sprint endpoint
    ok(client.put(f"/v2/issues/{d['id']}", json={"custom_fields": {"sprint": sprint["id"], "story_points": 8}},
                  headers=h))  # a plain edit: joins with its new estimate
    ok(client.put(f"/v2/issues/{a['id']}", json={"custom_fields": {"story_points": 6}}, headers=h))
    assert client.delete(f"/v2/sprints/{sprint['id']}/issues/{b['id']}", headers=h).status_code == 204
    ok(client.put(f"/v2/issues/{b['id']}", json={"custom_fields": {"story_points": 13}}, headers=h))  # not in it now
    assert client.delete(f"/v2/sprints/{sprint['id']}/issues/{b['id']}", headers=h).status_code == 404
    expected = [(a["key"], "committed", None, 4.0), (b["key"], "committed", None, 5.0), (c["key"], "added", None, 2.0),
                (d["key"], "added", None, 8.0), (a["key"], "estimate", 4.0, 6.0), (b["key"], "removed", 5.0, None)]
    assert scope(client, h, sprint) == expected
    assert scope(client, h, sprint) == expected  # reading again derives nothing new
    finish(client, h, c)
    ok(client.post(f"/v2/sprints/{sprint['id']}/complete", headers=h))
    ok(client.put(f"/v2/issues/{a['id']}", json={"custom_fields": {"story_points": 1}}, headers=h))  # after it
    record = ok(client.get(f"/v2/sprints/{sprint['id']}/scope-changes", headers=h))
    tail = [(x["issue_key"], x["change"], x["to_estimate"], x["status_category"]) for x in record["changes"][6:]]
    assert tail == [(a["key"], "incomplete", 6.0, "todo"), (c["key"], "completed", 2.0, "done"),
                    (d["key"], "incomplete", 8.0, "todo")]
    assert record["totals"] == {"committed": {"count": 2, "estimate": 9.0}, "added": {"count": 2, "estimate": 10.0},
                                "estimate": {"count": 1, "estimate": 2.0}, "removed": {"count": 1, "estimate": 5.0},
                                "completed": {"count": 1, "estimate": 2.0},
                                "incomplete": {"count": 2, "estimate": 14.0}}
