"""One-click unsubscribe (RFC 8058) with the token the email sender builds: GET changes nothing
and shows what would happen; POST with List-Unsubscribe=One-Click turns that channel off; a
tampered token, one made for another purpose, or one naming nobody is a 400."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.crypto.signed import sign
from tests.factories.http import ok
from tests.notifications.conftest import make_team

ONE_CLICK = {"content": "List-Unsubscribe=One-Click",
             "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


def _token(settings: Settings, org_id: int, user_id: int, channel: str = "email", purpose: str = "unsubscribe") -> str:
    return sign(settings.secret_key, purpose, {"o": org_id, "u": user_id, "c": channel})


def test_one_click_turns_the_channel_off(api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = make_team(api, notify_url)
    token = _token(notify_settings, team.org.organization_id, team.watcher.user_id)
    url = f"/v2/notifications/unsubscribe?token={token}"
    assert ok(api.get(url)) == {"channel": "email", "unsubscribed": False}
    page = api.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<form method=\"post\"" in page.text and "email" in page.text
    prefs = ok(api.get("/v2/notifications/preferences", headers=team.watcher.headers))
    assert prefs["channels"]["email"] is True  # GET changed nothing
    assert ok(api.post(url, **ONE_CLICK)) == {"channel": "email", "unsubscribed": True}
    prefs = ok(api.get("/v2/notifications/preferences", headers=team.watcher.headers))
    assert prefs["channels"] == {"inbox": True, "email": False, "slack": True, "push": True}
    assert ok(api.post(url, **ONE_CLICK))["unsubscribed"] is True  # again: still off, no error
    html = api.post(url, headers={"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"},
                    content="List-Unsubscribe=One-Click")
    assert html.status_code == 200 and "no more email" in html.text


def test_bad_tokens_and_bodies_are_refused(api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = make_team(api, notify_url)
    good = _token(notify_settings, team.org.organization_id, team.watcher.user_id)
    body, mac = good.split(".")
    tampered_payload = _token(notify_settings, team.org.organization_id, team.bystander.user_id).split(".")[0]
    bad_tokens = [
        f"{tampered_payload}.{mac}",  # another user's payload under this signature
        f"{body}.{mac[:-2]}xx",  # an altered signature
        _token(notify_settings, team.org.organization_id, team.watcher.user_id, purpose="password-reset"),
        sign("another-secret", "unsubscribe", {"o": team.org.organization_id, "u": team.watcher.user_id, "c": "email"}),
        _token(notify_settings, team.org.organization_id, team.watcher.user_id, channel="fax"),
        _token(notify_settings, team.org.organization_id + 10_000, team.watcher.user_id),  # names nobody
        "garbage",
    ]
    for token in bad_tokens:
        for response in (api.get(f"/v2/notifications/unsubscribe?token={token}"),
                         api.post(f"/v2/notifications/unsubscribe?token={token}", **ONE_CLICK)):
            assert response.status_code == 400, (token, response.text)
            assert response.json()["error"]["field"] == "token"
    response = api.post(f"/v2/notifications/unsubscribe?token={good}")
    assert response.status_code == 400 and response.json()["error"]["field"] == "List-Unsubscribe"
    assert api.get("/v2/notifications/unsubscribe").status_code in (400, 422)
    prefs = ok(api.get("/v2/notifications/preferences", headers=team.watcher.headers))
    assert prefs["channels"]["email"] is True
    assert ok(api.get("/v2/notifications/preferences", headers=team.bystander.headers))["channels"]["email"] is True
