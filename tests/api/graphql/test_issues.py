"""Issues over GraphQL: JQL search in Relay pages, lookups, and the mutations with their errors
(validation, version conflicts, workflow refusals), each named by code and input field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.graphql.conftest import GraphQL
from tests.support import OrgHandle, make_user

CREATE = "mutation($input: CreateIssueInput!) { createIssue(input: $input) { id key summary version status } }"
PAGE = """query($jql: String!, $first: Int!, $after: String) {
  issues(jql: $jql, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { key summary } }
  }
}"""


def _create(gql: GraphQL, org: OrgHandle, project: dict, summary: str, **extra: object) -> dict:
    body = {"projectId": project["key"], "issueType": "Task", "summary": summary, **extra}
    return gql.data(CREATE, {"input": body}, headers=org.headers)["createIssue"]


def test_jql_search_pages_through_every_issue_once(gql: GraphQL, org: OrgHandle, project: dict) -> None:
    created = [_create(gql, org, project, f"Paged {n}", labels=["paged"] if n % 2 else []) for n in range(7)]
    keys: list[str] = []
    after = None
    pages = 0
    while True:
        page = gql.data(PAGE, {"jql": f"project = {project['key']} ORDER BY key", "first": 3, "after": after},
                        headers=org.headers)["issues"]
        assert page["totalCount"] == 7
        keys += [edge["node"]["key"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3 and keys == [issue["key"] for issue in created]
    labelled = gql.data(PAGE, {"jql": "labels = paged", "first": 10}, headers=org.headers)["issues"]
    assert labelled["totalCount"] == 3


def test_search_refuses_bad_jql_cursors_and_page_sizes(gql: GraphQL, org: OrgHandle, project: dict) -> None:
    [error] = gql.errors(PAGE, {"jql": "project = = nope", "first": 5}, headers=org.headers)
    assert error["extensions"]["code"] == "BAD_INPUT" and error["path"] == ["issues"]
    [error] = gql.errors(PAGE, {"jql": "", "first": 5, "after": "not-a-cursor"}, headers=org.headers)
    assert error["extensions"] == {**error["extensions"], "code": "BAD_INPUT", "field": "after"}
    [error] = gql.errors(PAGE, {"jql": "", "first": 1000}, headers=org.headers)
    assert error["extensions"]["field"] == "first" and "100" in error["message"]


def test_issue_by_id_or_key_with_its_history(gql: GraphQL, org: OrgHandle, project: dict) -> None:
    issue = _create(gql, org, project, "Look me up", priority="High", labels=["ui"],
                    customFields={"story_points": 3})
    gql.data('mutation($id: ID!) { updateIssue(id: $id, input: {summary: "Looked up"}) { version } }',
             {"id": issue["id"]}, headers=org.headers)
    query = """query($id: ID!) { issue(id: $id) { key summary priority labels storyPoints issueType
               statusDetail { name category categoryName } project { key } reporter { email } url
               changelog { author { name } items { field fromString toString } } } }"""
    by_key = gql.data(query, {"id": issue["key"]}, headers=org.headers)["issue"]
    by_id = gql.data(query, {"id": issue["id"]}, headers=org.headers)["issue"]
    assert by_key == by_id
    assert by_key["summary"] == "Looked up" and by_key["priority"] == "High" and by_key["labels"] == ["ui"]
    assert by_key["storyPoints"] == 3 and by_key["project"]["key"] == project["key"]
    assert by_key["statusDetail"] == {"name": "To Do", "category": "todo", "categoryName": "To Do"}
    assert by_key["url"] == f"http://testserver/browse/{issue['key']}"
    [change] = by_key["changelog"]
    assert change["items"] == [{"field": "summary", "fromString": "Look me up", "toString": "Looked up"}]
    [error] = gql.errors(query, {"id": f"{project['key']}-999"}, headers=org.headers)
    assert error["extensions"]["code"] == "NOT_FOUND" and error["path"] == ["issue"]


def test_create_issue_validates_and_names_the_field(gql: GraphQL, org: OrgHandle, project: dict) -> None:
    bad = {"projectId": project["key"], "issueType": "Task", "summary": "x" * 300}
    [error] = gql.errors(CREATE, {"input": bad}, headers=org.headers)
    assert error["extensions"]["code"] == "BAD_INPUT" and error["extensions"]["field"] == "input.summary"
    [error] = gql.errors(CREATE, {"input": {**bad, "summary": "ok", "issueType": "Dragon"}}, headers=org.headers)
    assert error["extensions"]["field"] == "input.issueType" and "Dragon" in error["message"]
    [error] = gql.errors(CREATE, {"input": {**bad, "summary": "ok", "assigneeId": "999999"}}, headers=org.headers)
    assert error["extensions"]["field"] == "input.assigneeId"
    [error] = gql.errors(CREATE, {"input": {**bad, "summary": "ok", "customFields": [1, 2]}}, headers=org.headers)
    assert error["extensions"]["field"] == "input.customFields"
    [error] = gql.errors(CREATE, {"input": {**bad, "summary": "ok", "projectId": "NOPE"}}, headers=org.headers)
    assert error["extensions"]["field"] == "input.projectId"
    # A GraphQL type error (a string where a list is due) is refused before anything runs.
    [error] = gql.errors(CREATE, {"input": {**bad, "summary": "ok", "dueDate": "someday"}}, headers=org.headers)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    total = gql.data("{ issues { totalCount } }", headers=org.headers)["issues"]["totalCount"]
    assert total == 0


def test_update_issue_with_a_stale_version_is_a_conflict_that_changes_nothing(gql: GraphQL, org: OrgHandle,
                                                                             project: dict) -> None:
    issue = _create(gql, org, project, "Versioned")
    update = """mutation($id: ID!, $input: UpdateIssueInput!, $version: Int) {
                  updateIssue(id: $id, input: $input, version: $version) { summary version description } }"""
    first = gql.data(update, {"id": issue["id"], "input": {"summary": "First"}, "version": issue["version"]},
                     headers=org.headers)["updateIssue"]
    assert first == {"summary": "First", "version": issue["version"] + 1, "description": ""}
    [error] = gql.errors(update, {"id": issue["id"], "input": {"summary": "Second"}, "version": issue["version"]},
                         headers=org.headers)
    assert error["extensions"]["code"] == "CONFLICT" and error["extensions"]["reason"] == "version_conflict"
    assert error["extensions"]["currentVersion"] == first["version"]
    assert error["extensions"]["conflictingFields"] == ["summary"]
    again = gql.data('query($id: ID!) { issue(id: $id) { summary version } }', {"id": issue["id"]},
                     headers=org.headers)["issue"]
    assert again == {"summary": "First", "version": first["version"]}
    # Only fields sent change; null clears an optional one.
    gql.data(update, {"id": issue["id"], "input": {"description": "Body", "labels": ["a"]}}, headers=org.headers)
    cleared = gql.data(update, {"id": issue["id"], "input": {"description": None}}, headers=org.headers)
    assert cleared["updateIssue"]["summary"] == "First" and cleared["updateIssue"]["description"] == ""


def test_transitions_and_their_refusals(gql: GraphQL, database_url: str, org: OrgHandle, project: dict) -> None:
    issue = _create(gql, org, project, "Flow")
    transition = """mutation($id: ID!, $t: String!, $fields: JSON, $comment: String) {
        transitionIssue(id: $id, transition: $t, fields: $fields, comment: $comment) {
          status statusCategory resolution transitions { name } comments { body } } }"""
    started = gql.data(transition, {"id": issue["id"], "t": "In Progress"}, headers=org.headers)
    [error] = gql.errors(transition, {"id": issue["id"], "t": "In Progress"}, headers=org.headers)
    assert error["extensions"]["code"] in ("BAD_INPUT", "CONFLICT")  # not offered from its own target
    assert started["transitionIssue"]["status"] == "In Progress"
    [error] = gql.errors(transition, {"id": issue["id"], "t": "Done", "fields": {"priority": "High"}},
                         headers=org.headers)
    assert error["extensions"]["code"] == "BAD_INPUT" and error["extensions"]["field"] == "fields.priority"
    [error] = gql.errors(transition, {"id": issue["id"], "t": "Teleport"}, headers=org.headers)
    assert error["extensions"]["field"] == "transition"
    done = gql.data(transition, {"id": issue["id"], "t": "31", "comment": "Shipped"}, headers=org.headers)
    assert done["transitionIssue"]["statusCategory"] == "Done" and done["transitionIssue"]["resolution"] == "Done"
    assert [t["name"] for t in done["transitionIssue"]["transitions"]] == ["To Do", "In Progress", "In Review", "Won't Do"]
    assert [c["body"] for c in done["transitionIssue"]["comments"]] == ["Shipped"]
    viewer = make_user(database_url, org, role="viewer")
    [error] = gql.errors(transition, {"id": issue["id"], "t": "To Do"}, headers=viewer.headers)
    assert error["extensions"]["code"] == "FORBIDDEN"


def test_comments_threads_and_restricted_ones(gql: GraphQL, database_url: str, org: OrgHandle,
                                              project: dict) -> None:
    issue = _create(gql, org, project, "Talk")
    add = """mutation($issue: ID!, $body: String!, $parent: ID, $role: String) {
               addComment(issueId: $issue, body: $body, parentId: $parent, visibilityRole: $role) {
                 id body author authorUser { email } parentId visibilityRole } }"""
    root = gql.data(add, {"issue": issue["key"], "body": "Hello **team**"}, headers=org.headers)["addComment"]
    assert root["author"] == "Admin" and root["authorUser"]["email"] == org.admin_email
    reply = gql.data(add, {"issue": issue["id"], "body": "Reply", "parent": root["id"]}, headers=org.headers)
    assert reply["addComment"]["parentId"] == root["id"]
    gql.data(add, {"issue": issue["id"], "body": "Admins only", "role": "administrators"}, headers=org.headers)
    [error] = gql.errors(add, {"issue": issue["id"], "body": "  "}, headers=org.headers)
    assert error["extensions"]["code"] == "BAD_INPUT" and error["extensions"]["field"] == "body"
    [error] = gql.errors(add, {"issue": issue["id"], "body": "x", "role": "wizards"}, headers=org.headers)
    assert error["extensions"]["field"] == "visibilityRole"
    query = "query($id: ID!) { issue(id: $id) { comments { body } last: comments(last: 1) { body } } }"
    seen = gql.data(query, {"id": issue["id"]}, headers=org.headers)["issue"]
    assert [c["body"] for c in seen["comments"]] == ["Hello **team**", "Reply", "Admins only"]
    member = make_user(database_url, org, role="member")
    seen = gql.data(query, {"id": issue["id"]}, headers=member.headers)["issue"]
    assert [c["body"] for c in seen["comments"]] == ["Hello **team**", "Reply"]
    assert [c["body"] for c in seen["last"]] == ["Reply"]


def test_browser_session_reads_freely_but_mutates_only_with_its_csrf_token(client: TestClient, gql: GraphQL,
                                                                          org: OrgHandle, project: dict) -> None:
    signed_in = client.post("/v2/session", json={"email": org.admin_email, "password": org.admin_password,
                                                 "organization": org.key})
    assert signed_in.status_code in (200, 201), signed_in.text
    csrf = signed_in.json()["csrf_token"]
    try:
        # GraphiQL, opened in the signed-in browser, sends the token by itself.
        assert csrf in client.get("/graphql", headers={"Accept": "text/html"}).text
        assert gql.data("{ viewer { email } }")["viewer"]["email"] == org.admin_email
        body = {"projectId": project["key"], "issueType": "Task", "summary": "From the browser"}
        [error] = gql.errors(CREATE, {"input": body})
        assert error["extensions"]["code"] == "FORBIDDEN" and "CSRF" in error["message"]
        created = gql.data(CREATE, {"input": body}, headers={"X-CSRF-Token": csrf})["createIssue"]
        assert created["summary"] == "From the browser"
    finally:
        client.delete("/v2/session", headers={"X-CSRF-Token": csrf})
        client.cookies.clear()
