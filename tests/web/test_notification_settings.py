"""/settings/notifications: the preferences form saves what PUT /v2/notifications/preferences
would (read back through the REST API), an untouched cell of the event table follows its channel,
bad input is a 400 page naming it with nothing saved; muted issues are listed and unmuted; the
Slack webhook and push subscriptions are shown and removed; nothing of another organization's
user shows or can be changed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tessera.notifications.kinds import KINDS
from tessera.notifications.preferences import CHANNELS
from tests.factories.http import ok
from tests.factories.web import open_session, sign_in_as
from tests.notifications.push.receiver import Browser
from tests.support import OrgHandle, make_user

PAGE = "/settings/notifications"
SLACK_URL = "https://hooks.slack.com/services/T0000/B0000/secretPATH1234"


def _form(page: str) -> dict[str, str]:
    """What the browser would post for the page as rendered: hidden fields, checked boxes, selected options."""
    start = page.index('id="notification-preferences"')
    form = page[start:page.index("</form>", start)]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    data.update({name: "on" for name in re.findall(r'<input type="checkbox" name="([^"]+)"[^>]* checked>', form)})
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        data[name] = re.search(r'<option value="([^"]+)" selected>', options).group(1)  # type: ignore[union-attr]
    return data


def _stored(web: TestClient) -> dict:
    document = ok(web.get("/v2/notifications/preferences"))
    document["events"] = {kind: switches for kind, switches in document["events"].items() if switches}
    return document


def test_the_page_shows_the_defaults(web: TestClient, csrf: str) -> None:
    page = web.get(PAGE)
    assert page.status_code == 200
    form = _form(page.text)
    assert {name for name in form if name.startswith("channel.")} == {f"channel.{c}" for c in CHANNELS}
    assert "own_changes" not in form and form["digest.email"] == "off"
    cells = {name for name in form if name.startswith("event.")}
    assert cells == {f"event.{kind}.{channel}" for kind in KINDS for channel in CHANNELS}  # every box on
    assert 'href="/settings/notifications"' in web.get("/notifications").text  # linked from the inbox


def test_saving_stores_the_document_the_api_reads(web: TestClient, csrf: str) -> None:
    form = _form(web.get(PAGE).text)
    del form["channel.email"], form["event.issue_updated.inbox"]
    assert form["language"] == "en"
    form.update({"own_changes": "on", "digest.email": "daily", "digest.slack": "hourly", "language": "de"})
    saved = web.post(PAGE, data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == PAGE + "?saved=1"
    assert _stored(web) == {"channels": {"inbox": True, "email": False, "slack": True, "push": True},
                            "events": {"issue_updated": {"inbox": False}}, "own_changes": True,
                            "digest": {"email": "daily", "slack": "hourly", "push": "off"}, "language": "de"}
    page = web.get(PAGE + "?saved=1").text
    assert "Your notification settings are saved." in page
    shown = _form(page)
    assert "channel.email" not in shown and "event.issue_created.email" not in shown  # follows its channel
    assert "event.issue_updated.inbox" not in shown and "event.issue_created.inbox" in shown

    # Email back on and push off, the table untouched: the cells follow their channels, the
    # inbox override stays.
    shown["channel.email"] = "on"
    del shown["channel.push"]
    assert web.post(PAGE, data=shown, follow_redirects=False).status_code == 303
    stored = _stored(web)
    assert stored["channels"] == {"inbox": True, "email": True, "slack": True, "push": False}
    assert stored["events"] == {"issue_updated": {"inbox": False}}
    again = _form(web.get(PAGE).text)
    assert "event.issue_created.email" in again and "event.comment_added.push" not in again

    # A box checked against its channel becomes an override of its own; one changed back to
    # its channel's value drops its override.
    again["event.comment_added.push"] = "on"
    again["event.issue_updated.inbox"] = "on"
    assert web.post(PAGE, data=again, follow_redirects=False).status_code == 303
    assert _stored(web)["events"] == {"comment_added": {"push": True}}
    final = _form(web.get(PAGE).text)
    assert "event.comment_added.push" in final and "event.issue_created.push" not in final


def test_bad_input_is_a_400_page_naming_it_and_saves_nothing(web: TestClient, csrf: str) -> None:
    form = _form(web.get(PAGE).text)
    before = _stored(web)
    for change, message in (({"digest.email": "weekly"}, "&#39;digest&#39; maps channels (email, slack, push)"),
                            ({"channel.fax": "on"}, "&#39;channels&#39; maps channels"),
                            ({"event.bogus.email": "on"}, "Unknown event kind &#39;bogus&#39;"),
                            ({"event.issue_created.fax": "on"}, "&#39;events.issue_created&#39; is true, false"),
                            ({"language": "xx"}, "en, de")):
        page = web.post(PAGE, data={**form, "own_changes": "on", **change})
        assert page.status_code == 400, change
        assert message in page.text and 'class="alert alert-error"' in page.text
        assert 'id="notification-preferences"' in page.text  # the form again, not an error page
    assert _stored(web) == before
    assert web.post(PAGE, data={k: v for k, v in form.items() if k != "csrf_token"}).status_code == 403


def test_muted_issues_are_listed_and_unmuted(web: TestClient, csrf: str, org: OrgHandle, issue: dict) -> None:
    assert "You have muted no issue" in web.get(PAGE).text
    assert ok(web.put(f"/v2/issues/{issue['id']}/mute", headers=org.headers))["muted"] is True
    page = web.get(PAGE).text
    assert f'href="/browse/{issue["key"]}"' in page and "Checkout fails on Safari" in page
    action = f"{PAGE}/muted/{issue['id']}/unmute"
    assert f'action="{action}"' in page
    assert web.post(action, data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert issue["key"] not in web.get(PAGE).text
    assert web.post(f"{PAGE}/muted/xyz/unmute", data={"csrf_token": csrf}).status_code == 404


def test_a_muted_issue_the_user_may_no_longer_browse_is_not_listed(web: TestClient, database_url: str,
                                                                   org: OrgHandle, project: dict,
                                                                   issue: dict) -> None:
    member = make_user(database_url, org, role="member")
    ok(web.put(f"/v2/issues/{issue['id']}/mute", headers=member.headers))
    sign_in_as(web, database_url, member)
    assert issue["key"] in web.get(PAGE).text
    ok(web.put(f"/v2/projects/{project['id']}", headers=org.headers,
               json={"access": "private", "version": project["version"]}))
    assert issue["key"] not in web.get(PAGE).text and "You have muted no issue" in web.get(PAGE).text


def test_slack_and_push_are_shown_and_removed(web: TestClient, csrf: str, org: OrgHandle) -> None:
    assert "No Slack webhook is set" in web.get(PAGE).text
    ok(web.put("/v2/users/me/slack", json={"url": SLACK_URL}, headers=org.headers))
    endpoint = "https://push.example.net/wpush/v2/settings-page"
    row = ok(web.post("/v2/push/subscriptions", json=Browser(endpoint).subscription, headers=org.headers), 201)
    page = web.get(PAGE).text
    assert "https://hooks.slack.com/…1234" in page and "secretPATH" not in page  # the hint, never the URL
    assert endpoint in page and f'action="{PAGE}/push/{row["id"]}/remove"' in page

    assert web.post(f"{PAGE}/slack/remove", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert ok(web.get("/v2/users/me/slack"))["configured"] is False
    removed = web.post(f"{PAGE}/push/{row['id']}/remove", data={"csrf_token": csrf}, follow_redirects=False)
    assert removed.status_code == 303
    assert ok(web.get("/v2/push/subscriptions"))["subscriptions"] == []
    assert web.post(f"{PAGE}/push/{row['id']}/remove", data={"csrf_token": csrf}).status_code == 404


def test_another_organization_sees_and_changes_nothing_of_ours(web: TestClient, csrf: str, database_url: str,
                                                               org: OrgHandle, other_org: OrgHandle,
                                                               issue: dict) -> None:
    ok(web.put(f"/v2/issues/{issue['id']}/mute", headers=org.headers))
    ok(web.put("/v2/users/me/slack", json={"url": SLACK_URL}, headers=org.headers))
    endpoint = "https://push.example.net/wpush/v2/ours"
    row = ok(web.post("/v2/push/subscriptions", json=Browser(endpoint).subscription, headers=org.headers), 201)
    form = _form(web.get(PAGE).text)
    del form["channel.email"]
    assert web.post(PAGE, data=form, follow_redirects=False).status_code == 303

    theirs = open_session(web, database_url, other_org)
    page = web.get(PAGE).text
    assert issue["key"] not in page and endpoint not in page and "No Slack webhook is set" in page
    assert 'name="channel.email" checked' in page  # their own defaults, not our document
    assert web.post(f"{PAGE}/muted/{issue['id']}/unmute", data={"csrf_token": theirs}).status_code == 404
    assert web.post(f"{PAGE}/push/{row['id']}/remove", data={"csrf_token": theirs}).status_code == 404
    assert web.post(f"{PAGE}/slack/remove", data={"csrf_token": theirs}, follow_redirects=False).status_code == 303
    assert ok(web.get("/v2/users/me/slack", headers=org.headers))["configured"] is True  # ours stays
    assert len(ok(web.get("/v2/push/subscriptions", headers=org.headers))["subscriptions"]) == 1
    web.cookies.clear()
    assert ok(web.get("/v2/notifications/preferences", headers=org.headers))["channels"]["email"] is False


def test_signed_out_goes_to_sign_in(web: TestClient) -> None:
    response = web.get(PAGE, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=/settings/")
