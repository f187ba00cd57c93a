"""Jira Server's webhook registration API (/rest/webhooks/1.0/webhook) as Jira clients call it
(n8n, jira.js, scripts with curl): shapes and statuses of reference §1, both body formats,
Jira's error shape, admins only, and nothing of another organization."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support import OrgHandle, UserHandle

HOOKS = "/rest/webhooks/1.0/webhook"


@pytest.fixture
def other_rest(jira_url: str, other_org: OrgHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=jira_url, auth=(other_org.admin_email, other_org.token), timeout=30) as client:
        yield client


def register(rest: httpx.Client, **body: object) -> httpx.Response:
    return rest.post(HOOKS, json={"name": "CI sync", "url": "https://ci.example.test/hook/${issue.key}",
                                  "events": ["jira:issue_created", "jira:issue_updated"], **body})


def test_create_list_get_replace_toggle_and_delete(rest: httpx.Client, jira_url: str, project: dict) -> None:
    created = register(rest, filters={"issue-related-events-section": "project = WEB"}, excludeBody=False)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert created.headers["location"] == hook["self"]
    assert hook["self"] == f"{jira_url}{HOOKS}/{hook['id']}"
    # n8n takes the id from the last segment of `self`; newer clients read `id`.
    assert hook["self"].rsplit("/", 1)[1] == str(hook["id"])
    assert hook["filters"] == {"issue-related-events-section": "project = WEB"}
    assert (hook["enabled"], hook["excludeBody"]) == (True, False)
    assert hook["events"] == ["jira:issue_created", "jira:issue_updated"]
    assert isinstance(hook["lastUpdated"], int) and hook["lastUpdatedUser"]
    assert len(hook["secret"]) >= 32  # generated and shown this once
    listed = rest.get(HOOKS)
    assert listed.status_code == 200 and isinstance(listed.json(), list)
    [shown] = [h for h in listed.json() if h["id"] == hook["id"]]
    assert "secret" not in shown
    assert rest.get(f"{HOOKS}/{hook['id']}").json()["name"] == "CI sync"

    off = rest.put(f"{HOOKS}/{hook['id']}/enabled", content="false", headers={"Content-Type": "text/plain"})
    assert off.status_code == 200 and off.json() is False
    # A PUT replaces name, url, events and filters, and keeps the enabled state.
    replaced = rest.put(f"{HOOKS}/{hook['id']}", json={"name": "Renamed", "url": "https://ci.example.test/other",
                                                       "events": ["comment_created"], "filters": {}})
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert (body["name"], body["events"], body["enabled"]) == ("Renamed", ["comment_created"], False)
    assert body["filters"] == {"issue-related-events-section": ""}
    on = rest.put(f"{HOOKS}/{hook['id']}/enabled", content="true")
    assert on.json() is True

    deleted = rest.delete(f"{HOOKS}/{hook['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    missing = rest.get(f"{HOOKS}/{hook['id']}")
    assert missing.status_code == 404 and missing.json()["errorMessages"]


def test_the_legacy_body_is_read(rest: httpx.Client) -> None:
    created = rest.post(HOOKS, json={"name": "Old script", "url": "https://hooks.example.test/jira",
                                     "events": ["jira:issue_deleted"], "jqlFilter": "priority = High",
                                     "excludeIssueDetails": True})
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["filters"]["issue-related-events-section"] == "priority = High" and hook["excludeBody"] is True
    older = rest.post(HOOKS, json={"name": "Older", "url": "https://hooks.example.test/j", "events": [],
                                   "filter": "priority = Low OR priority = High"})
    assert older.json()["filters"]["issue-related-events-section"] == "priority = Low OR priority = High"


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://files.example.test/x"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"events": ["jira:issue_exploded"]}, "events"),
    ({"name": ""}, "name"),
    ({"excludeBody": "sometimes"}, "excludeBody"),
    ({"enabled": "maybe"}, "enabled"),
])
def test_bad_values_answer_400_naming_the_field(rest: httpx.Client, body: dict, field: str) -> None:
    response = register(rest, **body)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]


def test_booleans_sent_as_text_are_read(rest: httpx.Client) -> None:
    """`"excludeBody": "false"` is false (it read as true before: any non-empty text is truthy)."""
    hook = register(rest, excludeBody="false", enabled="FALSE")
    assert hook.status_code == 201, hook.text
    assert (hook.json()["excludeBody"], hook.json()["enabled"]) == (False, False)


def test_bad_jql_answers_400_with_its_position(rest: httpx.Client) -> None:
    response = register(rest, filters={"issue-related-events-section": "priority = High AND AND"})
    assert response.status_code == 400
    [message] = response.json()["errorMessages"]
    assert "line 1, character" in message


def test_a_literal_private_address_is_refused_at_registration(rest: httpx.Client) -> None:
    for url in ("http://127.0.0.1:8080/hook", "http://169.254.169.254/latest/meta-data", "http://10.0.0.5/",
                "http://[::1]/x", "http://localhost/x"):
        response = register(rest, url=url)
        assert response.status_code == 400, url
        assert "private or local" in response.json()["errors"]["url"]


def test_non_admins_are_refused(jira_url: str, rest: httpx.Client, member: UserHandle) -> None:
    hook = register(rest).json()
    with httpx.Client(base_url=jira_url, auth=(member.email, member.token), timeout=30) as as_member:
        assert as_member.get(HOOKS).status_code == 403
        assert register(as_member).status_code == 403
        assert as_member.delete(f"{HOOKS}/{hook['id']}").status_code == 403
        assert "errorMessages" in as_member.get(HOOKS).json()


def test_another_organization_sees_nothing(rest: httpx.Client, other_rest: httpx.Client) -> None:
    hook = register(rest).json()
    assert all(h["id"] != hook["id"] for h in other_rest.get(HOOKS).json())
    for response in (other_rest.get(f"{HOOKS}/{hook['id']}"),
                     other_rest.put(f"{HOOKS}/{hook['id']}", json={"name": "x", "url": "https://a.example.test",
                                                                   "events": []}),
                     other_rest.put(f"{HOOKS}/{hook['id']}/enabled", content="false"),
                     other_rest.delete(f"{HOOKS}/{hook['id']}")):
        assert response.status_code == 404
    assert rest.get(f"{HOOKS}/{hook['id']}").json()["enabled"] is True
