"""Live WebSockets read ids, tickets and `last_event_id` with the one parser (tessera/db/refs.py):
a bad `last_event_id` closes 4400, a ticket whose organization id is not an ASCII id 4401 (and
is not spent), an issue path that is not an id 4404; never an internal error or another row."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.factories.bad_numbers import BAD_NUMBERS, disguises
from tests.factories.live import refused, stream
from tests.support import OrgHandle, make_org, unique_key


@pytest.fixture(scope="module")
def world(client: TestClient, database_url: str) -> tuple[OrgHandle, dict]:
    org = make_org(database_url, password=None)
    project = client.post("/v2/projects", json={"key": unique_key("L")[:10], "name": "Live numbers"},
                          headers=org.headers).json()
    issue = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "Live"},
                        headers=org.headers)
    assert issue.status_code == 201, issue.text
    return org, issue.json()


@pytest.mark.parametrize("bad", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_bad_numbers_close_with_a_code(client: TestClient, world: tuple[OrgHandle, dict], bad: str) -> None:
    org, issue = world
    segment = quote(bad, safe="")
    assert refused(client, f"/v2/issues/{issue['id']}/live?last_event_id={segment}", org.headers).code == 4400
    assert refused(client, f"/v2/issues/{segment}/live", org.headers).code == 4404
    assert refused(client, f"/v2/issues/{issue['id']}/live?ticket={segment}.secret").code == 4401


def test_a_ticket_with_a_disguised_organization_id_is_refused_and_not_spent(
        client: TestClient, world: tuple[OrgHandle, dict]) -> None:
    org, issue = world
    url = f"/v2/issues/{issue['id']}/live"
    ticket = client.post("/v2/live/tickets", headers=org.headers).json()["ticket"]
    organization_id, secret = ticket.split(".", 1)
    for disguised in disguises(int(organization_id)).values():
        assert refused(client, f"{url}?ticket={quote(disguised, safe='')}.{secret}").code == 4401
    with stream(client, f"{url}?ticket={ticket}") as ws:  # the real one still works, once
        assert ws.welcome["issue_id"] == issue["id"]


def test_a_last_event_id_in_range_resumes(client: TestClient, world: tuple[OrgHandle, dict]) -> None:
    org, issue = world
    with stream(client, f"/v2/issues/{issue['id']}/live?last_event_id=0", org.headers) as ws:
        assert ws.welcome["issue_id"] == issue["id"]
