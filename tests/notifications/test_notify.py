"""Jira's `POST /rest/api/2/issue/{key}/notify` goes through the notifications pipeline to the
people the body names (roles, users, groups), narrowed by `restrict`, never to anyone who may
not browse the issue, whatever the notification scheme says; the note reads as its subject
and text. Bad bodies are 400s in Jira's shape; another organization's issue is a 404."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.notifications.render import load_notifications
from tests.factories.http import ok
from tests.notifications.conftest import Team, deliveries, drain, make_team
from tests.support import make_org, make_user

API = "/rest/api/2"


def _notify(api: TestClient, team: Team, body: dict, who=None):  # type: ignore[no-untyped-def]
    return api.post(f"{API}/issue/{team.issue['key']}/notify", json=body,
                    headers=(who or team.org).headers)


def _told(api: TestClient, url: str, settings: Settings, team: Team, body: dict, extra: tuple[int, ...] = ()
          ) -> dict[int, dict]:
    """Who got the note (inbox deliveries made by it), with their delivery payloads."""
    drain(settings)
    everyone = [*team.all_ids(), *extra]
    before = {row["id"] for row in deliveries(url, everyone)}
    response = _notify(api, team, body)
    assert response.status_code == 204, response.text
    drain(settings)
    return {row["target_id"]: row["payload"] for row in deliveries(url, everyone, "inbox") if row["id"] not in before}


def test_notify_reaches_the_named_roles_users_and_groups(api: TestClient, notify_url: str,
                                                         notify_settings: Settings) -> None:
    team = make_team(api, notify_url)
    told = _told(api, notify_url, notify_settings, team, {
        "subject": "Release tonight", "textBody": "Please **check** the build.",
        "to": {"reporter": "true", "watchers": True, "users": [{"name": team.bystander.email}]}})
    # The assignee watches the issue too (assignees are made watchers, as in Jira).
    assert set(told) == {team.reporter.user_id, team.watcher.user_id, team.assignee.user_id, team.bystander.user_id}
    payload = told[team.reporter.user_id]
    [change] = payload["changes"]
    assert change["event_type"] == "issue_notified" and change["actor_id"] == team.org.admin_user_id

    async def render() -> list:
        database = Database(notify_settings)
        try:
            async with database.unit_of_work(write=False) as session:
                return await load_notifications(session, organization_id=team.org.organization_id,
                                                payloads=[payload], base_url="https://t.example")
        finally:
            await database.dispose()

    [rendered] = asyncio.run(render())
    [section] = rendered.sections
    [view] = section.changes
    assert view.headline == "Release tonight" and view.comment_text == "Please **check** the build."
    assert "<strong>check</strong>" in (view.comment_html or "")
    # The sender may name themselves (their own-changes preference does not apply to a chosen note).
    assert set(_told(api, notify_url, notify_settings, team, {
        "subject": "Me too", "to": {"assignee": True, "users": [{"accountId": str(team.org.admin_user_id)}]}})) == {
        team.assignee.user_id, team.org.admin_user_id}


def test_groups_and_restrictions(api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = make_team(api, notify_url)
    for name, members in (("ops", [team.assignee, team.bystander]), ("leads", [team.bystander])):
        ok(api.post(f"{API}/group", json={"name": name}, headers=team.org.headers), 201)
        for member in members:
            ok(api.post(f"{API}/group/user", params={"groupname": name}, json={"name": member.email},
                        headers=team.org.headers), 201)
    assert set(_told(api, notify_url, notify_settings, team, {"subject": "Ops", "to": {"groups": [{"name": "ops"}]}
                                                              })) == {team.assignee.user_id, team.bystander.user_id}
    narrowed = _told(api, notify_url, notify_settings, team, {
        "subject": "Leads only", "to": {"reporter": True, "assignee": True, "groups": [{"name": "ops"}]},
        "restrict": {"groups": [{"name": "leads"}], "permissions": [{"key": "BROWSE"}]}})
    assert set(narrowed) == {team.bystander.user_id}


def test_people_who_cannot_browse_hear_nothing(api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = make_team(api, notify_url, access="private")
    outsider = make_user(notify_url, team.org)  # a member of the organization, not of the private project
    told = _told(api, notify_url, notify_settings, team, {"subject": "Private", "to": {
        "reporter": True, "users": [{"name": outsider.email}]}}, extra=(outsider.user_id,))
    assert set(told) == {team.reporter.user_id}


def test_bad_bodies_and_other_organizations(api: TestClient, notify_url: str) -> None:
    team = make_team(api, notify_url)
    nobody = _notify(api, team, {"subject": "Hello", "to": {}})
    assert nobody.status_code == 400 and nobody.json() == {"errorMessages": [], "errors": {
        "to": "The notification has no recipients."}}
    assert _notify(api, team, {"to": {"reporter": "perhaps"}}).json()["errors"] == {
        "to.reporter": "'to.reporter' must be true or false."}
    assert "to.groups" in _notify(api, team, {"to": {"groups": [{"name": "nope"}]}}).json()["errors"]
    assert "restrict.permissions" in _notify(api, team, {"to": {"reporter": True}, "restrict": {
        "permissions": [{"key": "FLY"}]}}).json()["errors"]
    assert "to.users" in _notify(api, team, {"to": {"users": [{"name": "ghost@nowhere.test"}]}}).json()["errors"]
    assert _notify(api, team, {"subject": "x" * 256, "to": {"reporter": True}}).json()["errors"] == {
        "subject": "The subject may be at most 255 characters."}
    stranger = make_org(notify_url)
    response = _notify(api, team, {"subject": "Hi", "to": {"reporter": True}}, who=stranger)
    assert response.status_code == 404 and set(response.json()) == {"errorMessages", "errors"}
