"""A query that cannot run answers an error in Jira's words that names the problem and, where there
is one, the column it starts at."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories.search_world import World


@pytest.mark.parametrize(("jql", "message", "column"), [
    ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it.", 1),
    ("project = XYZ", "The value 'XYZ' does not exist for the field 'project'.", 11),
    ("status ~ open", "The operator '~' is not supported by the 'status' field.", 1),
    ("summary = x", "The operator '=' is not supported by the 'summary' field.", 1),
    ("labels > a", "The operator '>' is not supported by the 'labels' field.", 1),
    ("status = foo()", "Unable to find JQL function 'foo()'.", 10),
    ("created = currentUser()", "A value provided by the function 'currentUser' is invalid for the field 'created'.",
     11),
    ("created > 'yesterday'", "Date value 'yesterday' for field 'created' is invalid.", 11),
    ("project = ALPHA ORDER BY labels", "Field 'labels' does not support sorting.", 26),
    ("labels changed", "History searches are not supported for the field 'labels'.", 1),
    ('"Story Points" > many', "The value 'many' is not a valid number for the field 'Story Points'.", 18),
    ("cf[99999] = 1", "Field 'cf[99999]' does not exist or you do not have permission to view it.", 1),
    ("project = ALPHA AND foo", "Expecting operator but got the end of the query.", None),
    ("project = ALPHA foo", "Expecting either 'OR' or 'AND' but got 'foo'.", 17),
    ("filter = 'no such filter'", "The value 'no such filter' does not exist for the field 'filter'.", None),
])
def test_errors_name_the_problem_and_where(client: TestClient, world: World, jql: str, message: str,
                                          column: int | None) -> None:
    error = world.error(client, jql)
    assert message in error["message"]
    if column is not None:
        assert error["column"] == column, error
