"""/rest/api/2 and /rest/agile/1.0 read numbers with the one parser (tessera/db/refs.py): a path
that is not an id answers Jira's 404, a number that is not one Jira's 400, both in Jira's error
shape ({"errorMessages": [...], "errors": {...}}), never a 500 or another row."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.factories.bad_numbers import BAD_NUMBERS, NumbersWorld, build_numbers_world, disguises


@pytest.fixture(scope="module")
def world(client: TestClient, database_url: str) -> NumbersWorld:
    return build_numbers_world(client, database_url)


def _jira_error(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == {"errorMessages", "errors"}, body
    assert body["errorMessages"] or body["errors"]
    assert len(response.text) < 2_000  # never the input echoed back whole
    return body


@pytest.mark.parametrize("bad", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_a_path_that_is_not_an_id_is_jiras_not_found(client: TestClient, world: NumbersWorld, bad: str) -> None:
    segment = quote(bad, safe="")
    for url in (f"/rest/api/2/issue/{segment}", f"/rest/api/2/issue/{segment}/comment",
                f"/rest/api/2/filter/{segment}", f"/rest/api/2/component/{segment}", f"/rest/api/2/version/{segment}",
                f"/rest/api/2/issue/{world.issue['key']}/worklog/{segment}",
                f"/rest/agile/1.0/board/{segment}", f"/rest/agile/1.0/board/{segment}/issue",
                f"/rest/agile/1.0/board/{world.board['id']}/sprint/{segment}/issue",
                f"/rest/agile/1.0/sprint/{segment}", f"/rest/agile/1.0/sprint/{segment}/issue"):
        _jira_error(client.get(url, headers=world.org.headers), 404)


@pytest.mark.parametrize("how", disguises(1).keys())
def test_a_disguised_id_names_nothing(client: TestClient, world: NumbersWorld, how: str) -> None:
    headers = world.org.headers
    catalog = [(f"/rest/api/2/{kind}/{{}}", int(client.get(f"/rest/api/2/{kind}", headers=headers).json()[0]["id"]))
               for kind in ("priority", "status", "issuetype", "statuscategory")]
    for template, real in (("/rest/api/2/issue/{}", world.issue["id"]), ("/rest/agile/1.0/board/{}", world.board["id"]),
                           ("/rest/agile/1.0/sprint/{}", world.sprint["id"]),
                           (f"/rest/agile/1.0/board/{world.board['id']}/sprint/{{}}/issue", world.sprint["id"]),
                           *catalog):
        assert client.get(template.format(real), headers=headers).status_code == 200
        _jira_error(client.get(template.format(quote(disguises(real)[how], safe="")), headers=headers), 404)


@pytest.mark.parametrize("bad", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_a_page_position_that_is_not_a_number_is_a_400(client: TestClient, world: NumbersWorld, bad: str) -> None:
    headers = world.org.headers
    body = _jira_error(client.get(f"/rest/api/2/search?jql=&startAt={quote(bad)}", headers=headers), 400)
    assert "startAt" in body["errors"]
    body = _jira_error(client.post("/rest/api/2/search", json={"jql": "", "maxResults": bad}, headers=headers), 400)
    assert "maxResults" in body["errors"]


@pytest.mark.parametrize("bad", ["١٢٠", "１２０", "120 ", "1_20", "9" * 4400, 10**400, True],
                         ids=["arabic_indic", "fullwidth", "padded", "underscore", "digits_4400", "int_400", "true"])
def test_numbers_in_bodies_are_json_numbers_or_ascii_text(client: TestClient, world: NumbersWorld, bad: object) -> None:
    headers, key = world.org.headers, world.issue["key"]
    body = _jira_error(client.post(f"/rest/api/2/issue/{key}/worklog", json={"timeSpentSeconds": bad},
                                   headers=headers), 400)
    assert "timeSpentSeconds" in body["errors"]
    created = client.post("/rest/api/2/issue", headers=headers, json={"fields": {
        "project": {"id": bad}, "issuetype": {"name": "Task"}, "summary": "Never created"}})
    _jira_error(created, 400)


@pytest.mark.parametrize("offset", ["+٠٠٠٠", "+００００", "+0²00", "-0_00"])
def test_a_time_offset_is_ascii_digits(client: TestClient, world: NumbersWorld, offset: str) -> None:
    response = client.post(f"/rest/api/2/issue/{world.issue['key']}/worklog", headers=world.org.headers,
                           json={"timeSpent": "1h", "started": f"2026-01-31T14:00:00.000{offset}"})
    assert "started" in _jira_error(response, 400)["errors"]


def test_an_account_id_is_the_user_only_as_sent(client: TestClient, world: NumbersWorld) -> None:
    headers, key, admin = world.org.headers, world.issue["key"], world.org.admin_user_id
    for disguised in disguises(admin).values():
        response = client.put(f"/rest/api/2/issue/{key}", headers=headers,
                              json={"fields": {"assignee": {"accountId": disguised}}})
        assert "assignee" in _jira_error(response, 400)["errors"]
    assert client.put(f"/rest/api/2/issue/{key}", headers=headers,
                      json={"fields": {"assignee": {"accountId": str(admin)}}}).status_code == 204
