"""/v2/push: a browser's PushSubscription JSON is registered for the signed-in user, bad input is
a 4xx naming the field, a user removes only their own subscriptions, and nothing of one
organization's is visible or removable from another; the VAPID public key is served when Web
Push is configured."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.main import create_app
from tessera.notifications.push.vapid import generate_vapid_keys
from tests.factories.http import ok
from tests.notifications.push.receiver import Browser
from tests.support import OrgHandle, UserHandle

ENDPOINT = "https://push.example.net/wpush/v2/"


def browser(name: str) -> dict:
    return Browser(ENDPOINT + name).subscription


def test_a_browser_subscribes_renews_and_unsubscribes(client: TestClient, org: OrgHandle, member: UserHandle) -> None:
    sent = browser("a")
    created = ok(client.post("/v2/push/subscriptions", json=sent, headers=member.headers), 201)
    assert created["endpoint"] == sent["endpoint"] and created["last_success"] is None
    renewed = browser("a")  # the same endpoint with new keys replaces the row
    again = ok(client.post("/v2/push/subscriptions", json=renewed, headers=member.headers), 201)
    assert again["id"] == created["id"]
    second = ok(client.post("/v2/push/subscriptions", json=browser("b"), headers=member.headers), 201)
    listed = ok(client.get("/v2/push/subscriptions", headers=member.headers))["subscriptions"]
    assert [s["id"] for s in listed] == [created["id"], second["id"]]
    assert ok(client.get("/v2/push/subscriptions", headers=org.headers))["subscriptions"] == []  # the admin's own
    ok(client.delete(f"/v2/push/subscriptions?endpoint={quote(sent['endpoint'], safe='')}", headers=member.headers), 204)
    ok(client.delete(f"/v2/push/subscriptions/{second['id']}", headers=member.headers), 204)
    assert ok(client.get("/v2/push/subscriptions", headers=member.headers))["subscriptions"] == []
    assert client.delete(f"/v2/push/subscriptions/{second['id']}", headers=member.headers).status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"endpoint": "http://push.example.net/x"}, "endpoint"),  # not https
    ({"endpoint": "not a url"}, "endpoint"),
    ({"endpoint": "https://" + "a" * 2100}, "endpoint"),
    ({"keys": {"p256dh": "short", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh"),
    ({"keys": {"p256dh": "B" * 87, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh"),  # 65 bytes, not 0x04 first
    ({"keys": {"p256dh": None, "auth": "x"}}, "keys.p256dh"),
    ({"keys": {"auth": "x"}}, "keys.p256dh"),
    ({"keys": "nope"}, "keys"),
    ({"endpoint": None}, "endpoint"),
])
def test_bad_subscriptions_are_refused_naming_the_field(client: TestClient, member: UserHandle, change: dict,
                                                        field: str) -> None:
    sent = {**browser("bad"), **change}
    response = client.post("/v2/push/subscriptions", json=sent, headers=member.headers)
    assert response.status_code in (400, 422), response.text
    assert field in response.text, response.text


def test_a_bad_auth_secret_is_refused(client: TestClient, member: UserHandle) -> None:
    sent = browser("bad-auth")
    sent["keys"]["auth"] = "AAAA"
    response = client.post("/v2/push/subscriptions", json=sent, headers=member.headers)
    assert response.status_code == 400 and response.json()["error"]["field"] == "keys.auth"


def test_subscriptions_need_a_user(client: TestClient) -> None:
    assert client.post("/v2/push/subscriptions", json=browser("anon")).status_code == 401
    assert client.get("/v2/push/subscriptions").status_code == 401
    assert client.get("/v2/push/vapid-public-key").status_code == 401


def test_nothing_crosses_organizations(client: TestClient, org: OrgHandle, other_org: OrgHandle,
                                       member: UserHandle) -> None:
    mine = ok(client.post("/v2/push/subscriptions", json=browser("tenancy"), headers=member.headers), 201)
    # The same browser signed in to another organization is that organization's own row.
    theirs = ok(client.post("/v2/push/subscriptions", json=browser("tenancy"), headers=other_org.headers), 201)
    assert theirs["id"] != mine["id"]
    assert [s["id"] for s in ok(client.get("/v2/push/subscriptions", headers=other_org.headers))["subscriptions"]] \
        == [theirs["id"]]
    assert client.delete(f"/v2/push/subscriptions/{mine['id']}", headers=other_org.headers).status_code == 404
    assert client.delete(f"/v2/push/subscriptions/{mine['id']}", headers=org.headers).status_code == 404  # not his
    assert [s["id"] for s in ok(client.get("/v2/push/subscriptions", headers=member.headers))["subscriptions"]] \
        == [mine["id"]]


def test_the_vapid_public_key_is_served_when_configured(client: TestClient, settings: Settings,
                                                        org: OrgHandle) -> None:
    missing = client.get("/v2/push/vapid-public-key", headers=org.headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "push_not_configured"
    keys = generate_vapid_keys()
    with TestClient(create_app(replace(settings, vapid_private_key=keys.private_key))) as configured:
        # Without a configured public key, the private key's own is served.
        assert ok(configured.get("/v2/push/vapid-public-key", headers=org.headers)) == {"public_key": keys.public_key}
