"""/v2 reads every number a client sends with one parser (tessera/db/refs.py): "³", "١", "１",
" 1 ", 4,400 digits and 30 digits are never a 500 and never name another row. A path that is not
an id is a 404; a query or body value that is not one is a 422 naming it; a bad If-Match a 412."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.factories.bad_numbers import BAD_NUMBERS, NumbersWorld, build_numbers_world, disguises
from tests.support import make_org, unique_key


@pytest.fixture(scope="module")
def world(client: TestClient, database_url: str) -> NumbersWorld:
    return build_numbers_world(client, database_url)


def _error(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text[:500]
    error = response.json()["error"]
    assert error["message"] and len(response.text) < 2_000  # a clear message, never the input echoed back
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.mark.parametrize("bad", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
@pytest.mark.parametrize("template", [
    "/v2/issues/{}", "/v2/issues/{}/comments", "/v2/projects/{}", "/v2/boards/{}", "/v2/boards/{}/issues",
    "/v2/sprints/{}", "/v2/filters/{}", "/v2/dashboards/{}", "/v2/users/{}", "/v2/workflows/{}",
])
def test_a_path_that_is_not_an_id_is_not_found(client: TestClient, world: NumbersWorld, template: str, bad: str) -> None:
    _error(client.get(template.format(quote(bad, safe="")), headers=world.org.headers), 404, "not_found")


@pytest.mark.parametrize("how", disguises(1).keys())
def test_a_disguised_id_names_nothing(client: TestClient, world: NumbersWorld, how: str) -> None:
    """/v2/issues/%EF%BC%91 (full-width) and /v2/issues/%20%201%20 are not the issue: it exists
    and is visible, but only its own id names it."""
    headers = world.org.headers
    for template, real in (("/v2/issues/{}", world.issue["id"]), ("/v2/boards/{}", world.board["id"]),
                           ("/v2/filters/{}", world.saved_filter["id"]), ("/v2/dashboards/{}", world.dashboard["id"]),
                           ("/v2/issues/{}/comments/" + str(world.comment["id"]), world.issue["id"]),
                           (f"/v2/issues/{world.issue['id']}/comments/{{}}", world.comment["id"])):
        assert client.get(template.format(real), headers=headers).status_code == 200
        disguised = quote(disguises(real)[how], safe="")
        _error(client.get(template.format(disguised), headers=headers), 404, "not_found")


def test_a_disguised_token_id_revokes_nothing(client: TestClient, database_url: str) -> None:
    org = make_org(database_url, password=None)
    [token] = client.get("/v2/myself/tokens", headers=org.headers).json()["tokens"]
    for disguised in disguises(token["id"]).values():
        _error(client.delete(f"/v2/myself/tokens/{quote(disguised, safe='')}", headers=org.headers), 404)
    assert client.get("/v2/myself", headers=org.headers).status_code == 200  # still valid


@pytest.mark.parametrize("bad", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_an_id_in_a_query_string_that_is_not_one_is_a_422_naming_it(client: TestClient, world: NumbersWorld,
                                                                      bad: str) -> None:
    board, project = world.board["id"], world.project["id"]
    for url, name in ((f"/v2/boards/{board}/issues?sprint_id={quote(bad)}", "sprint_id"),
                      (f"/v2/boards/{board}/issues?quick_filter={quote(bad)}", "quick_filter"),
                      (f"/v2/projects/{project}/reports/velocity?board_id={quote(bad)}", "board_id")):
        error = _error(client.get(url, headers=world.org.headers), 422, "validation_failed")
        assert name in error["field"], error


@pytest.mark.parametrize("bad", [*BAD_NUMBERS.values(), 10**30, 2**63, True], ids=[*BAD_NUMBERS.keys(), "int_30",
                                                                                    "int_2_63", "true"])
def test_an_id_in_a_body_names_nothing_but_its_own_row(client: TestClient, world: NumbersWorld, bad: object) -> None:
    """Ids in JSON are integers (or keys); true is not 1 and a number past 64 bits names nothing."""
    headers = world.org.headers
    for body in ({"project_id": bad, "issue_type": "Task", "summary": "x"},
                 {"project_id": world.project["id"], "issue_type": "Task", "summary": "x", "assignee_id": bad},
                 {"project_id": world.project["id"], "issue_type": "Sub-task", "summary": "x", "parent_id": bad}):
        response = client.post("/v2/issues", json=body, headers=headers)
        assert response.status_code in (400, 404, 422), response.text[:500]
        assert response.json()["error"]["code"]
    response = client.post("/v2/fields", json={"name": unique_key("F"), "field_type": "text", "project_ids": [bad]},
                           headers=headers)
    assert response.status_code in (400, 422), response.text[:500]


@pytest.mark.parametrize("bad", ["٣", "１", "³", "9" * 4400, "03", "1" * 30], ids=["arabic_indic", "fullwidth",
                                                                                 "superscript", "digits_4400",
                                                                                 "leading_zero", "digits_30"])
def test_an_if_match_without_a_version_is_refused_and_changes_nothing(client: TestClient, world: NumbersWorld,
                                                                       bad: str) -> None:
    issue, comment = world.issue, world.comment
    for header in (f'W/"{issue["id"]}-{bad}"', f'"{bad}"', bad):
        for url, body in ((f"/v2/issues/{issue['id']}", {"summary": "Changed"}),
                          (f"/v2/issues/{issue['id']}/comments/{comment['id']}", {"body": "Changed"}),
                          (f"/v2/projects/{world.project['id']}", {"name": "Changed"})):
            response = client.put(url, json=body, headers={**world.org.headers, "If-Match": header.encode()})
            if len(header) > 100:  # past the header's documented length: refused before it is read
                _error(response, 422, "validation_failed")
            else:
                _error(response, 412, "bad_if_match")
    assert client.get(f"/v2/issues/{issue['id']}", headers=world.org.headers).json()["summary"] == "Real"


def test_a_well_formed_if_match_still_applies(client: TestClient, world: NumbersWorld) -> None:
    project = client.get(f"/v2/projects/{world.project['id']}", headers=world.org.headers).json()
    response = client.put(f"/v2/projects/{project['id']}", json={"description": "Same name"},
                          headers={**world.org.headers, "If-Match": f'W/"{project["version"]}"'})
    assert response.status_code == 200, response.text
