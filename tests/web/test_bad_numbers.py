"""The pages read ids, page numbers, columns and versions with the one parser (tessera/db/refs.py):
a path that is not an id shows the 404 page, a form value that is not a number the 400 page or
message, and a page number that is not one shows the first page; never a 500 or another row."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.factories.bad_numbers import BAD_NUMBERS, SOME_BAD_NUMBERS, NumbersWorld, build_numbers_world, disguises
from tests.factories.web import open_session


@pytest.fixture(scope="module")
def world(client: TestClient, database_url: str) -> NumbersWorld:
    return build_numbers_world(client, database_url)


@pytest.fixture
def signed_in(client: TestClient, database_url: str, world: NumbersWorld) -> Iterator[tuple[TestClient, str]]:
    """The shared client with the world's admin signed in (its CSRF token), signed out after."""
    client.cookies.clear()
    csrf = open_session(client, database_url, world.org)
    yield client, csrf
    client.cookies.clear()


def _page(response, status: int) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


@pytest.mark.parametrize("bad", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_a_path_that_is_not_an_id_shows_the_not_found_page(signed_in: tuple[TestClient, str], world: NumbersWorld,
                                                            bad: str) -> None:
    web, _ = signed_in
    segment = quote(bad, safe="")
    for url in (f"/browse/{segment}", f"/boards/{segment}", f"/dashboards/{segment}", f"/dashboards/{segment}/edit",
                f"/projects/{segment}", f"/settings/integrations/git/{segment}"):
        assert "Not found" in _page(web.get(url), 404)


@pytest.mark.parametrize("how", disguises(1).keys())
def test_a_disguised_id_names_nothing(signed_in: tuple[TestClient, str], world: NumbersWorld, how: str) -> None:
    web, _ = signed_in
    for template, real in (("/browse/{}", world.issue["id"]), ("/boards/{}", world.board["id"]),
                           ("/dashboards/{}", world.dashboard["id"])):
        _page(web.get(template.format(real)), 200)
        _page(web.get(template.format(quote(disguises(real)[how], safe=""))), 404)


@pytest.mark.parametrize("bad", SOME_BAD_NUMBERS.values(), ids=SOME_BAD_NUMBERS.keys())
def test_a_page_number_that_is_not_one_shows_the_first_page(signed_in: tuple[TestClient, str], world: NumbersWorld,
                                                             bad: str) -> None:
    web, _ = signed_in
    key = world.project["key"]
    assert world.issue["key"] in _page(web.get(f"/search?jql=project%20%3D%20{key}&page={quote(bad)}"), 200)
    assert world.issue["key"] in _page(web.get(f"/projects/{key}?page={quote(bad)}"), 200)
    _page(web.get(f"/projects/{key}?assignee={quote(bad)}"), 200)
    _page(web.get(f"/boards/{world.board['id']}?quick_filter={quote(bad)}"), 200)
    _page(web.get(f"/projects/{key}/reports?report=velocity&sprint={quote(bad)}"), 200)


@pytest.mark.parametrize("bad", SOME_BAD_NUMBERS.values(), ids=SOME_BAD_NUMBERS.keys())
def test_form_numbers_that_are_not_numbers_are_refused(signed_in: tuple[TestClient, str], world: NumbersWorld,
                                                        bad: str) -> None:
    web, csrf = signed_in
    key, board, dashboard = world.issue["key"], world.board["id"], world.dashboard["id"]
    _page(web.post(f"/browse/{key}/fields/assignee", data={"csrf_token": csrf, "value": bad}), 400)
    assert "is not on this board" in _page(web.post(f"/boards/{board}/cards/{key}/move",
                                                    data={"csrf_token": csrf, "column": bad}), 400)
    _page(web.post(f"/dashboards/{dashboard}/details", data={"csrf_token": csrf, "name": "Web numbers",
                                                             "columns": bad}), 400)
    removed = web.post(f"/dashboards/{dashboard}/shares/{quote(bad, safe='')}/remove", data={"csrf_token": csrf})
    assert "no such share" in _page(removed, 404)
    view = web.get(f"/v2/dashboards/{dashboard}", headers=world.org.headers).json()
    assert view["shares"] == world.dashboard["shares"] and view["layout"] == world.dashboard["layout"]
