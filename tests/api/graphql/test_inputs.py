"""String literals in the query text are checked like every other text a client sends."""

from __future__ import annotations

from tests.api.graphql.conftest import GraphQL
from tests.support import OrgHandle


def test_a_nul_in_a_query_literal_is_refused_on_both_databases(gql: GraphQL, org: OrgHandle, project: dict) -> None:
    mutation = ('mutation { createIssue(input: {projectId: "%s", issueType: "Task",\n summary: "a\\u0000b"}) '
                '{ key } }' % project["key"])
    [error] = gql.errors(mutation, headers=org.headers)
    assert error["message"] == ("A string in the query (line 2, column 11) holds a NUL character, which Tessera "
                                "does not store.")
    assert error["extensions"]["code"] == "BAD_INPUT" and error["extensions"]["reason"] == "invalid_text"
    found = gql.data('{ issues(jql: "order by key") { totalCount } }', headers=org.headers)
    assert found["issues"]["totalCount"] == 0
    variables = gql.errors("mutation($s: String!) { createIssue(input: {projectId: \"%s\", issueType: \"Task\", "
                           "summary: $s}) { key } }" % project["key"], {"s": "a\u0000"}, headers=org.headers,
                           status=400)
    assert variables[0]["extensions"]["field"] == "variables.s"
