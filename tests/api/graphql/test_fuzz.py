"""No GraphQL document a client can send makes /graphql fail on our side: queries and mutations
generated from the schema itself (schemathesis, derandomized so a run is repeatable) answer
without a 5xx and without an INTERNAL_SERVER_ERROR in their errors."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from graphql import get_introspection_query
from hypothesis import HealthCheck, Phase, given, settings

from tests.api.graphql.conftest import GraphQL
from tests.support import OrgHandle

EXAMPLES_PER_OPERATION = 10
FUZZ_SETTINGS = settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
                         phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))


def test_generated_operations_never_fail_on_our_side(client: TestClient, gql: GraphQL, org: OrgHandle,
                                                     project: dict) -> None:
    # Something for the generated ids to hit: an issue with a comment (ids start at 1 per database).
    issue = gql.data('mutation($p: ID!) { createIssue(input: {projectId: $p, issueType: "Story", summary: "Fuzz"}) '
                     "{ id } }", {"p": project["key"]}, headers=org.headers)["createIssue"]
    gql.data('mutation($i: ID!) { addComment(issueId: $i, body: "Fuzz") { id } }', {"i": issue["id"]},
             headers=org.headers)
    schema = schemathesis.graphql.from_dict(gql.data(get_introspection_query()))
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    def send(case: Any) -> None:
        body = case.as_transport_kwargs(base_url="http://testserver").get("json")
        response = client.post("/graphql", json=body, headers=org.headers)
        codes = {e.get("extensions", {}).get("code") for e in response.json().get("errors") or []} \
            if response.headers.get("content-type", "").startswith("application/json") else {"not json"}
        if response.status_code >= 500 or "INTERNAL_SERVER_ERROR" in codes or "not json" in codes:
            failures.append(f"{response.status_code} {response.text[:300]}\n{body}")

    for operation in operations:
        FUZZ_SETTINGS(given(case=operation.as_strategy())(send))()
    assert not failures, "\n\n".join(failures[:5])
