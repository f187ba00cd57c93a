"""Two organizations on one server: with organization B's token, nothing of A can be read,
searched or changed over GraphQL, and every refusal reads exactly like the one for something that
does not exist (so it tells nothing, not even that the id is taken)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.graphql.conftest import GraphQL
from tests.support import OrgHandle, make_user, unique_key

MISSING = "987654321987"
SECRETS = ("Secret Zebra", "Secret story Lynx", "Secret comment Marmot", "Secret Sprint Tarsier")


@pytest.fixture
def world(client: TestClient, gql: GraphQL, org: OrgHandle, other_org: OrgHandle) -> dict:
    def post(url: str, body: dict, who: OrgHandle = org) -> dict:
        response = client.post(url, json=body, headers=who.headers)
        assert response.status_code == 201, response.text
        return response.json()

    project = post("/v2/projects", {"key": unique_key("S")[:10], "name": "Secret Zebra"})
    story = post("/v2/issues", {"project_id": project["id"], "issue_type": "Story", "summary": "Secret story Lynx"})
    comment = post(f"/v2/issues/{story['id']}/comments", {"body": "Secret comment Marmot"})
    board = post("/v2/boards", {"name": "Board", "project_id": project["id"]})
    sprint = post(f"/v2/boards/{board['id']}/sprints", {"name": "Secret Sprint Tarsier"})
    b_project = post("/v2/projects", {"key": unique_key("B")[:10], "name": "B project"}, other_org)
    b_story = post("/v2/issues", {"project_id": b_project["id"], "issue_type": "Task", "summary": "B story"},
                   other_org)
    return {"project": project, "story": story, "comment": comment, "sprint": sprint, "b_project": b_project,
            "b_story": b_story, "a_admin": org.admin_user_id}


def _refusal(gql: GraphQL, query: str, variables: dict, headers: dict) -> tuple:
    body = gql.post(query, variables, headers=headers)
    assert not any(secret in str(body) for secret in SECRETS), body
    [error] = body["errors"]
    return error["message"], error["extensions"]["code"], error["path"], body["data"]


LOOKUPS = {
    "project": "query($id: ID!) { project(id: $id) { name issues { summary } } }",
    "issue": "query($id: ID!) { issue(id: $id) { summary comments { body } } }",
    "sprint": "query($id: ID!) { sprint(id: $id) { name } }",
    "user": "query($id: ID!) { user(id: $id) { email } }",
    "update": 'mutation($id: ID!) { updateIssue(id: $id, input: {summary: "Owned"}) { summary } }',
    "transition": 'mutation($id: ID!) { transitionIssue(id: $id, transition: "In Progress") { status } }',
    "comment": 'mutation($id: ID!) { addComment(issueId: $id, body: "Hi") { id } }',
}


def test_another_organizations_ids_and_keys_answer_like_missing_ones(gql: GraphQL, other_org: OrgHandle,
                                                                     world: dict) -> None:
    story, project = world["story"], world["project"]
    cases = [("project", project["id"], MISSING), ("project", project["key"], "NOPEKEY"),
             ("issue", story["id"], MISSING), ("issue", story["key"], "NOPE-1"),
             ("sprint", world["sprint"]["id"], MISSING), ("user", world["a_admin"], MISSING),
             ("update", story["id"], MISSING), ("transition", story["key"], "NOPE-1"),
             ("comment", story["key"], "NOPE-1")]
    assert {case[0] for case in cases} == set(LOOKUPS)
    for operation, foreign, missing in cases:
        seen = _refusal(gql, LOOKUPS[operation], {"id": str(foreign)}, other_org.headers)
        assert seen == _refusal(gql, LOOKUPS[operation], {"id": missing}, other_org.headers), operation
        assert seen[1] == "NOT_FOUND", operation


def test_search_and_lists_show_only_the_callers_organization(gql: GraphQL, other_org: OrgHandle,
                                                            world: dict) -> None:
    everything = gql.data("{ issues(first: 100) { totalCount nodes { key } } projects { key } users { id } }",
                          headers=other_org.headers)
    assert [n["key"] for n in everything["issues"]["nodes"]] == [world["b_story"]["key"]]
    assert [p["key"] for p in everything["projects"]] == [world["b_project"]["key"]]
    assert str(world["a_admin"]) not in {u["id"] for u in everything["users"]}
    search = "query($jql: String!) { issues(jql: $jql) { totalCount nodes { key } } }"
    for foreign, missing in ((f"key = {world['story']['key']}", "key = NOPE-1"),
                             (f"issue = {world['story']['id']}", f"issue = {MISSING}")):
        refused = _refusal(gql, search, {"jql": foreign}, other_org.headers)
        assert refused[1] == "BAD_INPUT"
        assert refused[0].replace(foreign.split()[-1], "?") == \
            _refusal(gql, search, {"jql": missing}, other_org.headers)[0].replace(missing.split()[-1], "?")
    for jql in ('text ~ "Lynx"', 'comment ~ "Marmot"', 'summary ~ "Secret"'):
        found = gql.data(search, {"jql": jql}, headers=other_org.headers)["issues"]
        assert found == {"totalCount": 0, "nodes": []}, jql
    project_error = _refusal(gql, search, {"jql": f"project = {world['project']['key']}"}, other_org.headers)
    assert project_error[1] == "BAD_INPUT"
    create = 'mutation($p: ID!) { createIssue(input: {projectId: $p, issueType: "Task", summary: "x"}) { key } }'
    refused = gql.post(create, {"p": str(world["project"]["id"])}, headers=other_org.headers)
    assert refused["errors"][0]["extensions"]["field"] == "input.projectId"
    assert not any(secret in str(refused) for secret in SECRETS)


def test_private_projects_are_invisible_to_members_without_a_role(client: TestClient, gql: GraphQL,
                                                                  database_url: str, org: OrgHandle) -> None:
    private = client.post("/v2/projects", json={"key": unique_key("P")[:10], "name": "Secret Zebra",
                                                 "access": "private"}, headers=org.headers).json()
    issue = client.post("/v2/issues", json={"project_id": private["id"], "issue_type": "Task",
                                            "summary": "Secret story Lynx"}, headers=org.headers).json()
    outsider = make_user(database_url, org, role="member")
    assert _refusal(gql, LOOKUPS["issue"], {"id": issue["key"]}, outsider.headers)[1] == "NOT_FOUND"
    assert _refusal(gql, LOOKUPS["project"], {"id": private["key"]}, outsider.headers)[1] == "NOT_FOUND"
    found = gql.data("{ issues { totalCount } }", headers=outsider.headers)["issues"]
    assert found["totalCount"] == 0
