"""Abusive queries are refused before anything runs, with an error that says what to change;
ordinary ones, and the introspection GraphiQL sends, pass."""

from __future__ import annotations

from graphql import get_introspection_query

from tessera.api.graphql.limits import MAX_COST, MAX_DEPTH
from tests.api.graphql.conftest import GraphQL
from tests.support import OrgHandle


def test_a_query_nested_too_deep_is_refused(gql: GraphQL, org: OrgHandle, project: dict) -> None:
    nested = "key"
    for _ in range(6):  # issue → project → lead ... : each round adds project { issues { ... } }
        nested = f"project {{ issues(first: 1) {{ {nested} }} }}"
    [error] = gql.errors(f"{{ issues(first: 1) {{ nodes {{ {nested} }} }} }}", headers=org.headers)
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert error["extensions"]["maxDepth"] == MAX_DEPTH and error["extensions"]["depth"] > MAX_DEPTH
    assert f"at most {MAX_DEPTH}" in error["message"]


def test_a_query_too_costly_is_refused_counting_list_sizes(gql: GraphQL, org: OrgHandle, project: dict) -> None:
    # 100 issues x 100 comments x 4 fields: 40,000 values.
    costly = "{ issues(first: 100) { nodes { comments(first: 100) { body author created id } } } }"
    [error] = gql.errors(costly, headers=org.headers)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and error["extensions"]["cost"] > MAX_COST
    assert "first/last multiply" in error["message"]
    # The same through variables and fragments counts the same.
    fragment = """query($n: Int!) { issues(first: $n) { nodes { ...C } } }
                  fragment C on Issue { comments(last: $n) { body author created id } }"""
    [error] = gql.errors(fragment, {"n": 100}, headers=org.headers)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert gql.data(fragment, {"n": 10}, headers=org.headers)["issues"]["nodes"] == []
    # Comments without first/last count as the 100 they may return.
    [error] = gql.errors("{ issues(first: 100) { nodes { comments { body author created id } } } }",
                         headers=org.headers)
    assert error["extensions"]["cost"] > MAX_COST
    # Aliases are fields too.
    aliases = " ".join(f"a{n}: issues(first: 100) {{ nodes {{ key summary status }} }}" for n in range(100))
    [error] = gql.errors(f"{{ {aliases} }}", headers=org.headers)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_an_overlong_document_is_refused_before_parsing(gql: GraphQL, org: OrgHandle) -> None:
    fields = " ".join("__typename" for _ in range(6000))
    [error] = gql.errors(f"{{ {fields} }}", headers=org.headers)
    assert "token" in error["message"].lower()


def test_introspection_stays_within_the_limits(gql: GraphQL) -> None:
    # Anonymous introspection works (the schema is no secret): GraphiQL and code generators need it.
    schema = gql.data(get_introspection_query(descriptions=True))["__schema"]
    names = {kind["name"] for kind in schema["types"]}
    assert {"Project", "Issue", "IssueConnection", "Burndown", "Metrics", "IssueEvent"} <= names
    subscription = next(t for t in schema["types"] if t["name"] == schema["subscriptionType"]["name"])
    assert {field["name"] for field in subscription["fields"]} == {"issueChanged", "projectIssues"}
