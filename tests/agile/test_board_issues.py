"""GET /v2/boards/{id}/issues and /backlog: the filter's issues through the JQL engine, in
columns by status and in rank order, WIP limits, swimlanes, quick filters, the Scrum board's
active sprint, and only what the caller may see."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories.boards import (
    add_to_sprint,
    backlog_keys,
    columns,
    error,
    new_board,
    new_issue,
    new_sprint,
    ok,
    rank,
)
from tests.support import OrgHandle, make_user


def transition(client: TestClient, headers: dict, issue: dict, transition_id: str, **body: object) -> None:
    ok(client.post(f"/v2/issues/{issue['id']}/transitions/{transition_id}", json=body, headers=headers))


def test_kanban_columns_ranks_wip_quick_filters_and_swimlanes(client: TestClient, database_url: str,
                                                              org: OrgHandle, project: dict) -> None:
    h = org.headers
    alice = make_user(database_url, org, role="member")
    epic = new_issue(client, h, project, "Checkout epic", issue_type="Epic")
    s1 = new_issue(client, h, project, "Cart", priority="High", parent_id=epic["key"], assignee_id=alice.user_id)
    s2 = new_issue(client, h, project, "Payment", priority="Low", parent_id=epic["key"])
    s3 = new_issue(client, h, project, "Receipt", priority="High", assignee_id=alice.user_id)
    bug = new_issue(client, h, project, "Crash", issue_type="Bug", priority="High")
    doing = [new_issue(client, h, project, f"Doing {n}", priority="Medium") for n in range(3)]
    dropped = new_issue(client, h, project, "Dropped")
    for issue in doing:
        transition(client, h, issue, "21")
    transition(client, h, doing[2], "41")  # In Review: the same column
    transition(client, h, dropped, "51")  # Won't Do: no column shows it
    board = new_board(client, h, project, type="kanban", jql=f"project = {project['key']} AND type != Epic",
                      columns=[{"name": "To Do", "status_ids": ["To Do"], "min": 5},
                               {"name": "Doing", "status_ids": ["In Progress", "In Review"], "max": 2},
                               {"name": "Done", "status_ids": ["Done"]}],
                      quick_filters=[{"name": "High", "jql": "priority = High"}, {"name": "Bugs", "jql": "type = Bug"}])
    ok(rank(client, h, s3, rank_before=s1["key"]))
    ok(rank(client, h, doing[2], rank_before=doing[0]["key"]))

    view = ok(client.get(f"/v2/boards/{board['id']}/issues", headers=h))
    assert {c["name"]: [i["key"] for i in c["issues"]] for c in view["columns"]} == {
        "To Do": [s3["key"], s1["key"], s2["key"], bug["key"]],
        "Doing": [doing[2]["key"], doing[0]["key"], doing[1]["key"]], "Done": []}
    assert [(c["count"], c["wip_broken"]) for c in view["columns"]] == [(4, "min"), (3, "max"), (0, None)]
    assert view["total"] == 7 and view["truncated"] is False and view["sprints"] == []
    card = view["columns"][0]["issues"][1]
    assert card["epic"] == {"id": epic["id"], "key": epic["key"], "summary": "Checkout epic"}
    assert card["assignee"]["id"] == alice.user_id and card["priority"]["name"] == "High" and card["rank"]

    high = ok(client.get(f"/v2/boards/{board['id']}/issues", params={"quick_filter": [1]}, headers=h))
    assert [i["key"] for i in high["columns"][0]["issues"]] == [s3["key"], s1["key"], bug["key"]]
    assert [f["active"] for f in high["quick_filters"]] == [True, False]
    assert columns(client, h, board, quick_filter=[1, 2])["To Do"] == [bug["key"]]  # ANDed
    assert columns(client, h, board, jql=f"assignee = {alice.user_id}")["To Do"] == [s3["key"], s1["key"]]
    assert error(client.get(f"/v2/boards/{board['id']}/issues", params={"quick_filter": [9]}, headers=h),
                 400)["field"] == "quick_filter"
    assert error(client.get(f"/v2/boards/{board['id']}/issues", params={"jql": "status = = 1"}, headers=h),
                 400)["field"] == "jql"

    def lanes(kind: str, **extra: object) -> list[tuple[str, list[list[str]]]]:
        ok(client.put(f"/v2/boards/{board['id']}", json={"swimlanes": {"type": kind, **extra}}, headers=h))
        found = ok(client.get(f"/v2/boards/{board['id']}/issues", headers=h))["swimlanes"]
        assert found["type"] == kind
        key_of = {c["id"]: c["key"] for column in view["columns"] for c in column["issues"]}
        return [(lane["name"], [[key_of[i] for i in cell] for cell in lane["columns"]]) for lane in found["lanes"]]

    alice_name = view["columns"][0]["issues"][0]["assignee"]["display_name"]
    assert lanes("assignee") == [
        (alice_name, [[s3["key"], s1["key"]], [], []]),
        ("Unassigned", [[s2["key"], bug["key"]], [doing[2]["key"], doing[0]["key"], doing[1]["key"]], []])]
    assert [name for name, _ in lanes("priority")] == ["High", "Medium", "Low"]
    assert lanes("epic") == [
        (f"{epic['key']} Checkout epic", [[s1["key"], s2["key"]], [], []]),
        ("Issues without an epic", [[s3["key"], bug["key"]], [doing[2]["key"], doing[0]["key"], doing[1]["key"]],
                                    []])]
    assert lanes("queries", queries=[{"name": "Bugs", "jql": "type = Bug"}, {"name": "High", "jql": "priority = High"}]) \
        == [("Bugs", [[bug["key"]], [], []]), ("High", [[s3["key"], s1["key"]], [], []]),
            ("Everything else", [[s2["key"]], [doing[2]["key"], doing[0]["key"], doing[1]["key"]], []])]

    # The backlog: not done, in no active or future sprint, by rank.
    assert backlog_keys(client, h, board) == [s3["key"], s1["key"], s2["key"], bug["key"], doing[2]["key"],
                                              doing[0]["key"], doing[1]["key"]]
    assert backlog_keys(client, h, board, quick_filter=[2]) == [bug["key"]]


def test_a_scrum_board_shows_its_active_sprint_and_only_what_the_caller_may_see(
        client: TestClient, database_url: str, org: OrgHandle, project: dict) -> None:
    h = org.headers
    member = make_user(database_url, org, role="member")
    secret = ok(client.post("/v2/projects", json={"key": "SEC", "name": "Secret", "access": "private"},
                            headers=h), 201)
    everything = ok(client.post("/v2/filters", json={"name": "Everything", "jql": "",
                                                     "shares": [{"type": "organization"}]}, headers=h), 201)
    board = new_board(client, h, project, filter_id=everything["id"])
    open_issue, hidden = new_issue(client, h, project, "Open"), new_issue(client, h, secret, "Hidden")
    later = new_issue(client, h, project, "Later")
    sprint, next_sprint = new_sprint(client, h, board), new_sprint(client, h, board)
    add_to_sprint(client, h, sprint, open_issue, hidden)
    add_to_sprint(client, h, next_sprint, later)
    assert columns(client, h, board)["To Do"] == []  # no active sprint yet
    ok(client.post(f"/v2/sprints/{sprint['id']}/start", json={}, headers=h))
    view = ok(client.get(f"/v2/boards/{board['id']}/issues", headers=h))
    assert [s["id"] for s in view["sprints"]] == [sprint["id"]]
    assert [i["key"] for i in view["columns"][0]["issues"]] == [open_issue["key"], hidden["key"]]
    assert columns(client, member.headers, board)["To Do"] == [open_issue["key"]]
    assert columns(client, h, board, sprint_id=next_sprint["id"])["To Do"] == [later["key"]]
    assert error(client.get(f"/v2/boards/{board['id']}/issues", params={"sprint_id": 987654321}, headers=h),
                 400)["field"] == "sprint_id"
    loose = new_issue(client, h, project, "Loose")
    assert backlog_keys(client, h, board) == [loose["key"]]
    sprint_page = ok(client.get(f"/v2/sprints/{sprint['id']}/issues", headers=member.headers))
    assert [i["key"] for i in sprint_page["issues"]] == [open_issue["key"]] and sprint_page["total"] == 1
