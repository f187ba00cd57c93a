"""Filters, boards, sprints, backlog and rank through the `jira` package."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from jira import JIRA, JIRAError

from tests.support import OrgHandle, make_org


@pytest.fixture
def keys(jira: JIRA, project: dict) -> list[str]:
    created = jira.create_issues([{"project": {"key": "WEB"}, "summary": f"Story {n}", "issuetype": {"name": "Story"}}
                                  for n in range(1, 5)])
    return [c["issue"].key for c in created]


def test_filters_create_get_update_favourite_and_search(jira: JIRA, keys: list[str]) -> None:
    saved = jira.create_filter(name="Open web work", description="Team view", jql="project = WEB", favourite=True)
    assert saved.name == "Open web work" and saved.jql == "project = WEB" and saved.favourite is True
    assert saved.owner.name == jira.current_user()
    assert [f.id for f in jira.favourite_filters()] == [saved.id]
    assert jira.filter(saved.id).description == "Team view"
    updated = jira.update_filter(saved.id, jql="project = WEB ORDER BY rank")
    assert updated.jql == "project = WEB ORDER BY rank"
    assert jira.search_issues(f"filter = {saved.id}", json_result=True)["total"] == 4
    found = jira._get_json("filter/search", params={"filterName": "web"})
    assert [f["id"] for f in found["values"]] == [saved.id] and found["isLast"] is True
    with pytest.raises(JIRAError) as bad:
        jira.create_filter(name="Broken", jql="project = ")
    assert bad.value.status_code == 400


def test_boards_sprints_backlog_and_rank(jira: JIRA, keys: list[str]) -> None:
    saved = jira.create_filter(name="Web board", jql="project = WEB")
    board = jira.create_board("Web team", saved.id)
    assert board.type == "scrum" and board.location.projectKey == "WEB"
    assert [b.name for b in jira.boards(projectKeyOrID="WEB")] == ["Web team"]
    assert jira.boards(type="kanban").total == 0

    sprint = jira.create_sprint("Sprint 1", board.id, goal="Checkout")
    assert sprint.state == "future" and sprint.originBoardId == board.id
    jira.add_issues_to_sprint(sprint.id, keys[:3])
    in_sprint = jira.search_issues(f"sprint = {sprint.id} ORDER BY key", json_result=True)
    assert [i["key"] for i in in_sprint["issues"]] == keys[:3]
    sprint_field = next(f["id"] for f in jira.fields() if f["name"] == "Sprint")
    assert jira.issue(keys[0]).raw["fields"][sprint_field][0]["id"] == sprint.id

    jira.rank(keys[2], next_issue=keys[0])
    sprint_issues = jira._get_json(f"sprint/{sprint.id}/issue", base=jira.AGILE_BASE_URL)
    assert [i["key"] for i in sprint_issues["issues"]] == [keys[2], keys[0], keys[1]]
    jira.rank(keys[1], prev_issue=keys[2])
    board_issues = jira._get_json(f"board/{board.id}/issue", base=jira.AGILE_BASE_URL)
    assert [i["key"] for i in board_issues["issues"]][:3] == [keys[2], keys[1], keys[0]]
    by_rank = jira.search_issues("project = WEB ORDER BY Rank ASC")
    assert [i.key for i in by_rank] == [keys[2], keys[1], keys[0], keys[3]]  # unranked last, oldest first

    jira.move_to_backlog([keys[0]])
    backlog = jira._get_json(f"board/{board.id}/backlog", base=jira.AGILE_BASE_URL)
    assert {i["key"] for i in backlog["issues"]} == {keys[0], keys[3]}

    started = jira.update_sprint(sprint.id, state="active", startDate="2026-03-02T09:00:00.000+0000",
                                 endDate="2026-03-16T17:00:00.000+0000")
    assert started["state"] == "active" and started["startDate"] == "2026-03-02T09:00:00.000+0000"
    assert [s.name for s in jira.sprints(board.id, state="active")] == ["Sprint 1"]
    assert jira.search_issues("sprint in openSprints()", json_result=True)["total"] == 2
    jira.transition_issue(keys[2], "In Progress")
    jira.transition_issue(keys[2], "Done")
    closed = jira.update_sprint(sprint.id, state="closed")
    assert closed["state"] == "closed" and closed["completeDate"]
    assert jira.sprint(sprint.id).state == "closed"
    assert jira.search_issues(f"sprint = {sprint.id}", json_result=True)["total"] == 1  # the done one stays
    epic = jira.create_issue(project="WEB", summary="Wallets", issuetype={"name": "Epic"})
    jira.add_issues_to_epic(epic.id, [keys[3]])
    assert jira.issue(keys[3]).fields.parent.key == epic.key
    with pytest.raises(JIRAError) as no_board:
        jira.create_sprint("Nowhere", 999_999)
    assert no_board.value.status_code == 400


def test_quick_filters_swimlanes_and_the_user_directory_for_migration_tools(
        client: TestClient, jira_url: str, database_url: str, org: OrgHandle, project: dict) -> None:
    board = client.post("/v2/boards", headers=org.headers, json={
        "name": "Lanes", "project_id": project["id"],
        "swimlanes": {"type": "queries", "queries": [{"name": "Bugs", "jql": "issuetype = Bug"}]},
        "quick_filters": [{"name": "Mine", "jql": "assignee = currentUser()"}, {"name": "Open", "jql": "resolution IS EMPTY",
                                                                            "description": "not done"}]})
    assert board.status_code == 201, board.text
    board_id = board.json()["id"]
    other = make_org(database_url)
    with httpx.Client(base_url=jira_url, auth=(org.admin_email, org.token), timeout=30) as rest:
        listed = rest.get(f"/rest/agile/1.0/board/{board_id}/quickfilter").json()
        assert [(q["name"], q["jql"], q["description"], q["position"]) for q in listed["values"]] == [
            ("Mine", "assignee = currentUser()", "", 0), ("Open", "resolution IS EMPTY", "not done", 1)]
        assert listed["isLast"] and listed["total"] == 2
        one = rest.get(f"/rest/agile/1.0/board/{board_id}/quickfilter/{listed['values'][1]['id']}").json()
        assert one["name"] == "Open" and one["boardId"] == board_id
        assert rest.get(f"/rest/agile/1.0/board/{board_id}/quickfilter/999").status_code == 404
        model = rest.get("/rest/greenhopper/1.0/rapidviewconfig/editmodel.json", params={"rapidViewId": board_id}).json()
        assert model["swimlanesConfig"]["swimlaneStrategy"] == "custom"
        assert [(lane["name"], lane["query"], lane["isDefault"]) for lane in model["swimlanesConfig"]["swimlanes"]] == [
            ("Bugs", "issuetype = Bug", False), ("Everything Else", "", True)]
        assert [q["name"] for q in model["quickFilterConfig"]["quickFilters"]] == ["Mine", "Open"]
        directory = rest.get("/rest/api/3/users/search", params={"maxResults": 1000}).json()
        assert org.admin_email in {user.get("emailAddress") for user in directory}
    with httpx.Client(base_url=jira_url, auth=(other.admin_email, other.token), timeout=30) as stranger:
        for path, params in ((f"/rest/agile/1.0/board/{board_id}/quickfilter", {}),
                             ("/rest/greenhopper/1.0/rapidviewconfig/editmodel.json", {"rapidViewId": board_id})):
            assert stranger.get(path, params=params).status_code == 404, path  # another org's board is not there
        assert org.admin_email not in {user.get("emailAddress") for user in stranger.get("/rest/api/3/users/search").json()}
