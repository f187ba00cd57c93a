"""/graphql reads ids and cursors with the one parser (tessera/db/refs.py): an id that is not one
is NOT_FOUND, a cursor whose offset is not an ASCII number BAD_INPUT naming `after`; never an
internal error, never another row."""

from __future__ import annotations

import base64

import pytest

from tests.api.graphql.conftest import GraphQL
from tests.factories.bad_numbers import BAD_NUMBERS, disguises
from tests.support import OrgHandle, make_org, unique_key

PAGE = """query($jql: String!, $after: String) {
  issues(jql: $jql, first: 2, after: $after) { totalCount pageInfo { endCursor } }
}"""
BY_ID = {name: f"query($id: ID!) {{ {name}(id: $id) {{ __typename }} }}" for name in ("issue", "sprint", "user")}


@pytest.fixture(scope="module")
def org(database_url: str) -> OrgHandle:
    """One organization for the module: these tests only read (no password: nothing to hash)."""
    return make_org(database_url, password=None)


def _cursor(offset: str) -> str:
    return base64.urlsafe_b64encode(f"issues:{offset}".encode()).decode()


@pytest.mark.parametrize("bad", [*BAD_NUMBERS.values(), "-1", "1000000000"], ids=[*BAD_NUMBERS.keys(), "negative",
                                                                                  "past_the_last_page"])
def test_a_cursor_whose_offset_is_not_a_number_is_bad_input(gql: GraphQL, org: OrgHandle, bad: str) -> None:
    [error] = gql.errors(PAGE, {"jql": "", "after": _cursor(bad)}, headers=org.headers)
    assert error["extensions"]["code"] == "BAD_INPUT" and error["extensions"]["field"] == "after", error


def test_a_cursor_in_the_form_this_api_returns_still_pages(gql: GraphQL, org: OrgHandle) -> None:
    page = gql.data(PAGE, {"jql": "", "after": _cursor("0")}, headers=org.headers)["issues"]
    assert isinstance(page["totalCount"], int)


@pytest.mark.parametrize("bad", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_an_id_that_is_not_one_is_not_found(gql: GraphQL, org: OrgHandle, bad: str) -> None:
    for query in BY_ID.values():
        body = gql.post(query, {"id": bad}, headers=org.headers)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "NOT_FOUND", error


def test_a_disguised_id_names_nothing(gql: GraphQL, client, org: OrgHandle) -> None:  # type: ignore[no-untyped-def]
    project = client.post("/v2/projects", json={"key": unique_key("G")[:10], "name": "G"}, headers=org.headers).json()
    issue = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "Real"},
                        headers=org.headers).json()
    assert gql.data(BY_ID["issue"], {"id": str(issue["id"])}, headers=org.headers)["issue"]
    assert gql.data(BY_ID["user"], {"id": str(org.admin_user_id)}, headers=org.headers)["user"]
    for name, real in (("issue", issue["id"]), ("user", org.admin_user_id)):
        for disguised in disguises(real).values():
            [error] = gql.post(BY_ID[name], {"id": disguised}, headers=org.headers)["errors"]
            assert error["extensions"]["code"] == "NOT_FOUND", (name, disguised, error)
