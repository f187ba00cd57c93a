"""/v2/users/me/slack and /v2/projects/{id}/slack over HTTP, on both databases: set, read (a
hint only), remove; the URL policy with the field named; project administrators only; and
another organization's project indistinguishable from a missing one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.errors import InvalidInput
from tessera.notifications.slack.service import check_webhook_url
from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle, fetch_rows

HOOK = "https://hooks.slack.com/services/T0001/B0002/abcdefghijklmnopqrstuvwx"


def test_a_user_sets_reads_and_removes_their_webhook(client: TestClient, member: UserHandle,
                                                     database_url: str) -> None:
    h = member.headers
    assert ok(client.get("/v2/users/me/slack", headers=h)) == {"configured": False, "url_hint": None,
                                                              "updated": None}
    shown = ok(client.put("/v2/users/me/slack", json={"url": HOOK}, headers=h))
    assert shown["configured"] and shown["url_hint"] == "https://hooks.slack.com/…uvwx"
    assert ok(client.get("/v2/users/me/slack", headers=h))["url_hint"] == shown["url_hint"]
    [row] = fetch_rows(database_url, "SELECT url_encrypted FROM slack_targets WHERE user_id = :u",
                       {"u": member.user_id})
    assert "abcdefghijklmnopqrstuvwx" not in row["url_encrypted"]  # stored encrypted
    ok(client.put("/v2/users/me/slack", json={"url": HOOK.replace("uvwx", "zzzz")}, headers=h))
    assert ok(client.get("/v2/users/me/slack", headers=h))["url_hint"].endswith("zzzz")
    assert len(fetch_rows(database_url, "SELECT id FROM slack_targets WHERE user_id = :u",
                          {"u": member.user_id})) == 1
    assert client.delete("/v2/users/me/slack", headers=h).status_code == 204
    assert not ok(client.get("/v2/users/me/slack", headers=h))["configured"]
    assert client.delete("/v2/users/me/slack", headers=h).status_code == 204  # already gone: still done


@pytest.mark.parametrize("url", [
    "http://hooks.slack.com/services/T0001/B0002/abc",  # not https
    "https://evil.example/services/T0001/B0002/abc",  # not Slack
    "https://hooks.slack.com.evil.example/services/x/y/z",
    "https://hooks.slack.com/",  # no webhook path
    "https://user:pw@hooks.slack.com/services/T0001/B0002/abc",
    "not a url", "", "https://hooks.slack.com:99999/services/a/b/c",
])
def test_urls_that_are_not_slack_webhooks_are_refused_naming_the_field(client: TestClient, member: UserHandle,
                                                                       url: str) -> None:
    response = client.put("/v2/users/me/slack", json={"url": url}, headers=member.headers)
    assert response.status_code == 400, response.text
    assert "url" in response.json()["error"]["errors"]


def test_a_malformed_body_is_a_4xx_naming_the_field(client: TestClient, member: UserHandle) -> None:
    for body in ({}, {"url": 12}, {"url": HOOK, "extra": 1}, {"url": "https://hooks.slack.com/" + "a" * 2100}):
        response = client.put("/v2/users/me/slack", json=body, headers=member.headers)
        assert 400 <= response.status_code < 500, response.text
        assert "url" in response.text or "extra" in response.text


def test_private_receivers_are_accepted_only_when_the_operator_allows_them(settings: Settings) -> None:
    local = "http://127.0.0.1:8080/hook"
    with pytest.raises(InvalidInput):
        check_webhook_url(settings, local)
    assert check_webhook_url(replace(settings, outbound_allow_private=True), local) == local
    with pytest.raises(InvalidInput):
        check_webhook_url(replace(settings, outbound_allow_private=True), "ftp://127.0.0.1/hook")


def test_project_channels_are_set_by_project_administrators_only(client: TestClient, org: OrgHandle,
                                                                 other_org: OrgHandle, project: dict,
                                                                 member: UserHandle) -> None:
    path = f"/v2/projects/{project['id']}/slack"
    ok(client.put(f"/v2/projects/{project['id']}/roles/developers", json={"user_ids": [member.user_id]},
                  headers=org.headers))
    assert client.put(path, json={"url": HOOK}, headers=member.headers).status_code == 403
    assert client.delete(path, headers=member.headers).status_code == 403
    assert ok(client.put(path, json={"url": HOOK}, headers=org.headers))["configured"]
    assert ok(client.get(path, headers=member.headers))["url_hint"] == "https://hooks.slack.com/…uvwx"
    for method in ("get", "delete"):
        assert getattr(client, method)(path, headers=other_org.headers).status_code == 404
    assert client.put(path, json={"url": HOOK}, headers=other_org.headers).status_code == 404
    assert client.put(f"/v2/projects/{project['key']}/slack", json={"url": "https://x.example/a/b/c/d"},
                      headers=org.headers).status_code == 400
    assert client.delete(path, headers=org.headers).status_code == 204
    assert not ok(client.get(path, headers=org.headers))["configured"]
