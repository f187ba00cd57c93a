"""/v2/notifications, preferences, mutes and notification schemes over HTTP: shapes, paging,
marking read, clear 400s naming the field, and tenancy (another organization's user is never
notified, and their inbox, issues and projects answer 404 or nothing)."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.notifications.models import NotificationScheme
from tests.factories.http import ok
from tests.notifications.conftest import Team, deliveries, drain, edit, inbox_rows, make_team
from tests.support import make_org, make_user


def _fresh(api: TestClient, url: str, settings: Settings) -> Team:
    team = make_team(api, url)
    drain(settings)
    return team


def test_the_inbox_newest_first_with_unread_counts_paging_and_marking(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    for _ in range(3):
        edit(api, team, team.bystander)
    drain(notify_settings)
    inbox = ok(api.get("/v2/notifications", headers=team.reporter.headers))
    assert inbox["unread"] == 4 and inbox["total"] == 4  # the issue's creation and three edits
    first = inbox["notifications"][0]
    assert first["read"] is False and first["event"] == "issue_updated" and first["kind"] == "issue"
    current = ok(api.get(f"/v2/issues/{team.issue['id']}", headers=team.org.headers))["summary"]
    assert first["issue"] == {"id": team.issue["id"], "key": team.issue["key"], "summary": current, "current": True}
    assert first["actor"]["id"] == team.bystander.user_id and first["actor"]["display_name"]
    assert first["changes"][0]["payload"]["field_changes"]["summary"]["to"] == first["issue"]["summary"]
    assert [n["id"] for n in inbox["notifications"]] == sorted((n["id"] for n in inbox["notifications"]), reverse=True)
    assert inbox["notifications"][-1]["event"] == "issue_created"
    page = ok(api.get("/v2/notifications?start_at=1&max_results=2", headers=team.reporter.headers))
    assert [n["id"] for n in page["notifications"]] == [n["id"] for n in inbox["notifications"][1:3]]
    assert ok(api.post(f"/v2/notifications/{first['id']}/read", headers=team.reporter.headers)) == {"unread": 3}
    assert ok(api.post(f"/v2/notifications/{first['id']}/read", headers=team.reporter.headers)) == {"unread": 3}
    unread = ok(api.get("/v2/notifications?unread=true", headers=team.reporter.headers))
    assert unread["total"] == 3 and first["id"] not in [n["id"] for n in unread["notifications"]]
    assert ok(api.post("/v2/notifications/read-all", headers=team.reporter.headers)) == {"marked": 3, "unread": 0}
    assert ok(api.get("/v2/notifications?unread=true", headers=team.reporter.headers))["notifications"] == []
    # Someone else's entry is not there for you.
    response = api.post(f"/v2/notifications/{first['id']}/read", headers=team.assignee.headers)
    assert response.status_code == 404
    for bad in ("/v2/notifications?max_results=0", "/v2/notifications?start_at=-1"):
        assert api.get(bad, headers=team.reporter.headers).status_code in (400, 422)
    assert api.post("/v2/notifications/abc/read", headers=team.reporter.headers).status_code == 404
    assert api.get("/v2/notifications").status_code == 401


def test_preferences_round_trip_and_bad_input_names_the_field(api: TestClient, notify_url: str,
                                                               notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    prefs = ok(api.get("/v2/notifications/preferences", headers=team.watcher.headers))
    assert prefs == {"channels": {"inbox": True, "email": True, "slack": True, "push": True}, "events": {},
                     "own_changes": False, "digest": {"email": "off", "slack": "off", "push": "off"},
                     "language": "en"}
    changed = ok(api.put("/v2/notifications/preferences", json={
        "channels": {"slack": False}, "events": {"comment_added": False, "issue_updated": {"email": False}},
        "own_changes": True, "digest": {"email": "daily"}, "language": "de"}, headers=team.watcher.headers))
    assert changed["channels"]["slack"] is False and changed["channels"]["email"] is True
    assert changed["events"]["comment_added"] == {"inbox": False, "email": False, "slack": False, "push": False}
    assert changed["events"]["issue_updated"] == {"email": False}
    assert changed["own_changes"] is True and changed["digest"]["email"] == "daily" and changed["language"] == "de"
    assert ok(api.get("/v2/notifications/preferences", headers=team.watcher.headers)) == changed
    for body, field in (({"channels": {"fax": True}}, "channels"), ({"events": {"nope": True}}, "events.nope"),
                        ({"digest": {"inbox": "daily"}}, "digest"), ({"digest": {"email": "weekly"}}, "digest"),
                        ({"language": "fr"}, "language"), ({"language": "DE"}, "language"),
                        ({"language": None}, "language")):
        response = api.put("/v2/notifications/preferences", json=body, headers=team.watcher.headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["field"] == field, response.text
        if field == "language":  # says what may be chosen
            assert "en, de" in response.json()["error"]["message"], response.text
    for body in ({"color": "red"}, {"own_changes": "maybe"}, [1, 2]):
        response = api.put("/v2/notifications/preferences", json=body, headers=team.watcher.headers)
        assert response.status_code in (400, 422), response.text
    assert ok(api.get("/v2/notifications/preferences", headers=team.watcher.headers)) == changed


def test_notification_schemes_are_for_project_administrators_and_validated(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    url = f"/v2/projects/{team.project['id']}/notification-scheme"
    scheme = ok(api.get(url, headers=team.org.headers))
    assert scheme["default"] is True and scheme["events"]["issue_created"] == [
        {"type": "reporter"}, {"type": "assignee"}, {"type": "watchers"}]
    assert scheme["events"]["user_mentioned"] == [{"type": "mentioned"}]
    assert api.get(url, headers=team.bystander.headers).status_code == 403
    assert api.put(url, json={"events": {}}, headers=team.bystander.headers).status_code == 403
    saved = ok(api.put(url, json={"events": {"issue_created": [{"type": "project_lead"}, {"type": "project_lead"}],
                                             "comment_added": [{"type": "user", "user_id": team.watcher.user_id}]}},
                       headers=team.org.headers))
    assert saved["default"] is False and saved["events"] == {
        "issue_created": [{"type": "project_lead"}],
        "comment_added": [{"type": "user", "user_id": team.watcher.user_id}]}
    stranger = make_user(notify_url, make_org(notify_url))
    for events, field in (({"issue_exploded": []}, "events.issue_exploded"),
                          ({"issue_created": [{"type": "everyone"}]}, "events.issue_created"),
                          ({"issue_created": [{"type": "project_role", "role": "kings"}]}, "events.issue_created"),
                          ({"issue_created": [{"type": "user", "user_id": stranger.user_id}]}, "events.issue_created"),
                          ({"issue_created": [{"type": "user", "user_id": 987654321}]}, "events.issue_created"),
                          ({"issue_created": [{"type": "group", "group_id": "x"}]}, "events.issue_created")):
        response = api.put(url, json={"events": events}, headers=team.org.headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["field"] == field
    # Another organization's user and a user that does not exist get the same answer.
    answers = [api.put(url, json={"events": {"issue_created": [{"type": "user", "user_id": uid}]}},
                       headers=team.org.headers).json()["error"]["message"].replace(str(uid), "N")
               for uid in (stranger.user_id, 987654321)]
    assert answers[0] == answers[1]
    assert ok(api.get(url, headers=team.org.headers))["events"] == saved["events"]


def test_another_organization_is_never_notified_nor_sees_anything(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    other = make_team(api, notify_url)
    drain(notify_settings)
    # A scheme naming org B's user, written past the validation (as a corrupted row would be).
    asyncio.run(_force_rule(notify_settings, team, other.watcher.user_id))
    edit(api, team, team.org)
    drain(notify_settings)
    assert [row for row in deliveries(notify_url, other.all_ids()) if row["payload"]["issue_id"] == team.issue["id"]] == []
    assert all(e["issue_id"] != team.issue["id"] for e in inbox_rows(notify_url, other.watcher.user_id))
    mine = ok(api.get("/v2/notifications", headers=team.reporter.headers))["notifications"]
    theirs = ok(api.get("/v2/notifications", headers=other.reporter.headers))
    assert theirs["total"] == len(theirs["notifications"]) and all(
        n["issue"]["key"] != team.issue["key"] for n in theirs["notifications"])
    assert api.post(f"/v2/notifications/{mine[0]['id']}/read", headers=other.org.headers).status_code == 404
    for method, path in (("PUT", f"/v2/issues/{team.issue['id']}/mute"), ("DELETE", f"/v2/issues/{team.issue['id']}/mute"),
                         ("GET", f"/v2/projects/{team.project['id']}/notification-scheme"),
                         ("PUT", f"/v2/projects/{team.project['id']}/notification-scheme")):
        response = api.request(method, path, json={"events": None} if method == "PUT" else None,
                               headers=other.org.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert team.issue["key"] not in response.text
    assert ok(api.post("/v2/notifications/read-all", headers=other.org.headers))["marked"] >= 0
    assert ok(api.get("/v2/notifications", headers=team.reporter.headers))["unread"] == len(
        [n for n in mine if not n["read"]])


async def _force_rule(settings: Settings, team: Team, user_id: int) -> None:
    database = Database(settings)
    try:
        async with database.unit_of_work() as session:
            session.add(NotificationScheme(organization_id=team.org.organization_id, project_id=team.project["id"],
                                           rules={"issue_updated": [{"type": "user", "user_id": user_id},
                                                                    {"type": "reporter"}]}))
    finally:
        await database.dispose()


def test_an_entry_shows_nothing_newer_once_its_reader_may_not_browse_the_issue(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = make_team(api, notify_url, access="private")
    drain(notify_settings)
    entry = ok(api.get("/v2/notifications", headers=team.reporter.headers))["notifications"][0]
    assert entry["issue"]["summary"] == "Hello" and entry["issue"]["current"] is True
    ok(api.put(f"/v2/projects/{team.project['id']}/roles/developers", json={"user_ids": [team.assignee.user_id]},
               headers=team.org.headers))
    edit(api, team, team.org, summary="Renamed in secret")
    drain(notify_settings)
    entries = ok(api.get("/v2/notifications", headers=team.reporter.headers))["notifications"]
    assert [e["id"] for e in entries] == [entry["id"]]  # no entry for the edit
    assert entries[0]["issue"] == {"id": team.issue["id"], "key": team.issue["key"], "summary": None,
                                   "current": False}
    assert "Renamed in secret" not in api.get("/v2/notifications", headers=team.reporter.headers).text
