"""DataLoaders bound the statements a query costs: 50 issues with their assignee, reporter, status
and last three comments take as many SQL statements as 5 do, counted on the engines themselves."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.graphql.conftest import GraphQL
from tests.support import OrgHandle, counting_statements, make_user

MAX_STATEMENTS = 10  # authentication, JQL (project lookup, count, page), users twice, comments, BEGIN
QUERY = """query($jql: String!, $first: Int!) { issues(jql: $jql, first: $first) { totalCount nodes {
  key summary status assignee { name avatar } reporter { name }
  comments(last: 3) { body author created } } } }"""


def test_fifty_issues_with_people_and_last_comments_cost_what_five_do(client: TestClient, gql: GraphQL,
                                                                      database_url: str, org: OrgHandle,
                                                                      project: dict) -> None:
    people = [make_user(database_url, org, role="member") for _ in range(3)]
    # Fifty issues in one request (mutations run in order, each in its own transaction).
    creates = " ".join(
        f'i{n}: createIssue(input: {{projectId: "{project["key"]}", issueType: "Task", summary: "Issue {n}", '
        f'assigneeId: "{people[n % 3].user_id}"}}) {{ id }}' for n in range(50))
    ids = [issue["id"] for issue in gql.data(f"mutation {{ {creates} }}", headers=org.headers).values()]
    # Comments by several authors: two on each issue, five on the first.
    for author in people[:2]:
        comments = " ".join(f'c{n}: addComment(issueId: "{issue_id}", body: "From {author.user_id} on {n}") {{ id }}'
                            for n, issue_id in enumerate(ids))
        gql.data(f"mutation {{ {comments} }}", headers=author.headers)
    extra = " ".join(f'x{n}: addComment(issueId: "{ids[0]}", body: "Extra {n}") {{ id }}' for n in range(3))
    gql.data(f"mutation {{ {extra} }}", headers=org.headers)

    jql = f"project = {project['key']} ORDER BY key"
    counts = {}
    for first in (5, 50):
        with counting_statements(client) as statements:
            page = gql.data(QUERY, {"jql": jql, "first": first}, headers=org.headers)["issues"]
        assert len(page["nodes"]) == first
        counts[first] = len(statements)
    assert counts[5] == counts[50] <= MAX_STATEMENTS, counts
    first_issue = page["nodes"][0]
    assert [c["body"] for c in first_issue["comments"]] == ["Extra 0", "Extra 1", "Extra 2"]
    second = page["nodes"][1]
    assert [c["body"] for c in second["comments"]] == [f"From {people[0].user_id} on 1", f"From {people[1].user_id} on 1"]
    assert {node["assignee"]["name"] for node in page["nodes"]} == {
        p.email.split("@")[0].title() for p in people}
