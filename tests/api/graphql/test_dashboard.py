"""The seed's ProjectDashboard query, exactly as the seed writes it, against a project with a
closed and an active sprint, story points, comments and resolved issues; and the metrics it
reports, checked against timestamps the test sets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tessera.config import Settings
from tessera.db.engine import Database
from tests.api.graphql.conftest import GraphQL
from tests.factories.http import ok
from tests.support import OrgHandle, make_user

# Verbatim from the seed ("GraphQL for Complex Queries").
PROJECT_DASHBOARD = """
query ProjectDashboard($projectId: ID!, $timeframe: String!) {
  project(id: $projectId) {
    issues(timeframe: $timeframe) {
      summary
      status
      assignee {
        name
        avatar
      }
      comments(last: 3) {
        body
        author
        created
      }
    }
    sprints {
      name
      burndown {
        ideal
        actual
        remaining
      }
    }
    metrics {
      velocity
      leadTime
      cycleTime
    }
  }
}
"""
CREATE = """mutation($input: CreateIssueInput!) { createIssue(input: $input) { id key } }"""
TRANSITION = """mutation($id: ID!, $t: String!) { transitionIssue(id: $id, transition: $t) { status version } }"""


def execute_sql(database_url: str, statements: list[tuple[str, dict]]) -> None:
    """Backdates rows the way time would have: the only writes this test makes behind the API."""
    async def run() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                for sql, params in statements:
                    await session.execute(text(sql), params)
        finally:
            await database.dispose()

    asyncio.run(run())


@pytest.fixture
def dashboard(client: TestClient, gql: GraphQL, database_url: str, org: OrgHandle, project: dict) -> dict:
    """Stories A(5) B(3) C(2) D(8); sprint 1 (A, B) closed with A done; sprint 2 (B, C) active with
    C done; A has four comments; D is assigned to a member and was last updated 30 days ago."""
    member = make_user(database_url, org, role="member")
    issues = {}
    for name, points in (("A", 5), ("B", 3), ("C", 2), ("D", 8)):
        issue = {"projectId": project["key"], "issueType": "Story", "summary": f"Story {name}",
                 "customFields": {"story_points": points}}
        if name == "D":
            issue["assigneeId"] = str(member.user_id)
        issues[name] = gql.data(CREATE, {"input": issue}, headers=org.headers)["createIssue"]
    for n in range(1, 5):
        gql.data('mutation($id: ID!, $b: String!) { addComment(issueId: $id, body: $b) { id } }',
                 {"id": issues["A"]["id"], "b": f"Comment {n}"}, headers=org.headers)
    post = lambda url, body: ok(client.post(url, json=body, headers=org.headers), 201)  # noqa: E731
    board = post("/v2/boards", {"name": "Team", "type": "scrum", "project_id": project["key"]})
    sprint1 = post(f"/v2/boards/{board['id']}/sprints", {"name": "Sprint 1"})
    ok(client.post(f"/v2/sprints/{sprint1['id']}/issues", json={"issues": [issues["A"]["key"], issues["B"]["key"]]},
                    headers=org.headers), 200)
    ok(client.post(f"/v2/sprints/{sprint1['id']}/start", json={}, headers=org.headers))
    for step in ("In Progress", "Done"):
        gql.data(TRANSITION, {"id": issues["A"]["id"], "t": step}, headers=org.headers)
    ok(client.post(f"/v2/sprints/{sprint1['id']}/complete", json={"move_open_issues_to": "backlog"},
                    headers=org.headers))
    sprint2 = post(f"/v2/boards/{board['id']}/sprints", {"name": "Sprint 2"})
    ok(client.post(f"/v2/sprints/{sprint2['id']}/issues", json={"issues": [issues["B"]["key"], issues["C"]["key"]]},
                    headers=org.headers), 200)
    ok(client.post(f"/v2/sprints/{sprint2['id']}/start", json={}, headers=org.headers))
    for step in ("In Progress", "Done"):
        gql.data(TRANSITION, {"id": issues["C"]["id"], "t": step}, headers=org.headers)
    # Time passes: A was created 10 days ago, started 4 days ago, resolved 1 day ago; C created 6,
    # started 3, resolved 2 days ago (lead 9 and 4 days, cycle 3 and 1). D sat untouched for a month.
    now = datetime.now(UTC)
    ago = lambda days: now - timedelta(days=days)  # noqa: E731
    statements: list[tuple[str, dict]] = []
    for name, created, started, resolved in (("A", 10, 4, 1), ("C", 6, 3, 2)):
        statements += [
            ("UPDATE issues SET created_at = :created, resolved_at = :resolved WHERE id = :id",
             {"created": ago(created), "resolved": ago(resolved), "id": int(issues[name]["id"])}),
            ("UPDATE change_items SET created_at = :started WHERE issue_id = :id AND field_id = 'status' "
             "AND to_string = 'In Progress'", {"started": ago(started), "id": int(issues[name]["id"])}),
            # The history says when it was resolved (reports, and so GraphQL's metrics, read it there).
            ("UPDATE change_items SET created_at = :resolved WHERE issue_id = :id AND field_id = 'resolution'",
             {"resolved": ago(resolved), "id": int(issues[name]["id"])})]
    statements.append(("UPDATE issues SET updated_at = :at WHERE id = :id", {"at": ago(30), "id": int(issues["D"]["id"])}))
    execute_sql(database_url, statements)
    return {"issues": issues, "member": member, "sprints": (sprint1, sprint2)}


def test_project_dashboard_query_works_as_the_seed_writes_it(gql: GraphQL, org: OrgHandle, project: dict,
                                                             dashboard: dict) -> None:
    data = gql.data(PROJECT_DASHBOARD, {"projectId": project["key"], "timeframe": "7d"}, headers=org.headers)
    board = data["project"]
    # Issues updated within 7 days, most recent first: D (a month old) is left out.
    assert [i["summary"] for i in board["issues"]] == ["Story C", "Story B", "Story A"]
    by_summary = {i["summary"]: i for i in board["issues"]}
    assert by_summary["Story C"]["status"] == "Done" and by_summary["Story B"]["status"] == "To Do"
    assert [c["body"] for c in by_summary["Story A"]["comments"]] == ["Comment 2", "Comment 3", "Comment 4"]
    assert {c["author"] for c in by_summary["Story A"]["comments"]} == {"Admin"}
    created = [datetime.fromisoformat(c["created"]) for c in by_summary["Story A"]["comments"]]
    assert created == sorted(created)
    assert by_summary["Story B"]["comments"] == [] and by_summary["Story B"]["assignee"] is None

    everything = gql.data(PROJECT_DASHBOARD, {"projectId": project["id"], "timeframe": "all"},
                          headers=org.headers)["project"]
    [story_d] = [i for i in everything["issues"] if i["summary"] == "Story D"]
    assert story_d["assignee"]["name"] == dashboard["member"].email.split("@")[0].title()
    assert story_d["assignee"]["avatar"].startswith("data:image/svg+xml")

    sprint1, sprint2 = board["sprints"]
    assert (sprint1["name"], sprint2["name"]) == ("Sprint 1", "Sprint 2")
    # Sprint 2 started with B (3) and C (2); C is done since.
    burndown = sprint2["burndown"]
    assert burndown["ideal"][0] == 5 and burndown["ideal"][-1] == 0 and len(burndown["ideal"]) == 15
    assert burndown["actual"] == [5] and burndown["remaining"] == 3
    # Sprint 1 closed with B (3) unfinished.
    assert sprint1["burndown"]["ideal"][0] == 8 and sprint1["burndown"]["remaining"] == 3
    # Velocity: sprint 1 completed A (5 points). Lead time median(9, 4) days; cycle median(3, 1).
    assert board["metrics"] == {"velocity": 5.0, "leadTime": 6.5, "cycleTime": 2.0}


def test_dashboard_timeframes_and_bad_ones(gql: GraphQL, org: OrgHandle, project: dict, dashboard: dict) -> None:
    query = """query($p: ID!, $t: String!, $m: String!) { project(id: $p) { issues(timeframe: $t) { summary }
               metrics(timeframe: $m) { timeframe velocity leadTime } } }"""
    day = gql.data(query, {"p": project["key"], "t": "36h", "m": "36h"}, headers=org.headers)["project"]
    assert len(day["issues"]) == 3
    # Only A was resolved within 36 hours (1 day ago, after 9 days): C (2 days ago) falls outside.
    assert day["metrics"] == {"timeframe": "36h", "velocity": 5.0, "leadTime": 9.0}
    months = gql.data(query, {"p": project["key"], "t": "6months", "m": "all"}, headers=org.headers)["project"]
    assert len(months["issues"]) == 4
    [error] = gql.errors(query, {"p": project["key"], "t": "last tuesday", "m": "7d"}, headers=org.headers)
    assert error["extensions"]["code"] == "BAD_INPUT" and error["extensions"]["field"] == "timeframe"
    assert error["path"] == ["project", "issues"] and "24h, 7d" in error["message"]


def test_sprint_by_id_and_its_burndown(gql: GraphQL, org: OrgHandle, dashboard: dict) -> None:
    sprint2 = dashboard["sprints"][1]
    data = gql.data("""query($id: ID!) { sprint(id: $id) { name state startAt
                       burndown { dates ideal actual remaining unit } } }""", {"id": sprint2["id"]},
                    headers=org.headers)["sprint"]
    assert data["state"] == "active" and data["burndown"]["unit"] == "story points"
    assert len(data["burndown"]["dates"]) == len(data["burndown"]["ideal"])
    assert datetime.fromisoformat(data["burndown"]["dates"][0]) == datetime.fromisoformat(data["startAt"])
