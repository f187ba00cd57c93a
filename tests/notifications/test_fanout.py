"""Who gets what: the default scheme, each recipient rule of a project's scheme, and the
filters after it (the actor unless they want their own changes, muted issues, preferences,
unreachable channels, deactivated users), all through the real worker and inbox."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.events.outbox import emit
from tessera.events.types import WebhookDisabled
from tessera.tenancy.models import Group, GroupMember
from tests.factories.http import ok
from tests.notifications.conftest import EmailBook, Team, deliveries, drain, edit, inbox_rows, make_team
from tests.support import make_user


def _notified(url: str, team: Team, channel: str = "inbox") -> set[int]:
    return {row["target_id"] for row in deliveries(url, team.all_ids(), channel)}


def _fresh(api: TestClient, url: str, settings: Settings, **kwargs: object) -> Team:
    team = make_team(api, url, **kwargs)  # type: ignore[arg-type]
    drain(settings)
    return team


def _after(settings: Settings, url: str, team: Team, change, **drain_args: object) -> set[int]:  # type: ignore[no-untyped-def]
    """Who was newly notified (inbox) of `change`."""
    before = {row["id"] for row in deliveries(url, team.all_ids())}
    change()
    drain(settings, **drain_args)
    return {row["target_id"] for row in deliveries(url, team.all_ids(), "inbox") if row["id"] not in before}


def test_the_default_scheme_tells_reporter_assignee_and_watchers_not_the_actor_nor_bystanders(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    got = _after(notify_settings, notify_url, team, lambda: edit(api, team, team.watcher, summary="Renamed"))
    assert got == {team.reporter.user_id, team.assignee.user_id}  # the watcher made the change
    entry = inbox_rows(notify_url, team.reporter.user_id)[-1]
    assert entry["issue_key"] == team.issue["key"] and entry["event"] == "issue_updated"
    assert entry["actor_id"] == team.watcher.user_id
    assert entry["changes"][0]["payload"]["field_changes"]["summary"]["to"] == "Renamed"


def test_assigning_is_its_own_kind_and_the_new_assignee_hears_of_it(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    got = _after(notify_settings, notify_url, team,
                 lambda: edit(api, team, team.org, assignee_id=team.bystander.user_id))
    # The previous assignee still watches (autowatch made them a watcher), as in Jira.
    assert got == {team.reporter.user_id, team.assignee.user_id, team.bystander.user_id, team.watcher.user_id}
    assert inbox_rows(notify_url, team.bystander.user_id)[-1]["event"] == "issue_assigned"


def test_each_rule_of_a_project_scheme(api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    lead, role_member, grouped, single = (make_user(notify_url, team.org) for _ in range(4))
    ok(api.put(f"/v2/projects/{team.project['id']}", json={"lead_id": lead.user_id}, headers=team.org.headers))
    ok(api.put(f"/v2/projects/{team.project['id']}/roles/administrators", json={"user_ids": [role_member.user_id]},
               headers=team.org.headers))
    group_id = asyncio.run(_group(notify_settings, team.org.organization_id, [grouped.user_id]))
    extra = [lead.user_id, role_member.user_id, grouped.user_id, single.user_id]
    team.extra["ids"] = extra

    edits = iter(range(1, 1000))

    def notified_by(rules: list[dict]) -> set[int]:
        ok(api.put(f"/v2/projects/{team.project['id']}/notification-scheme", json={"events": {"issue_updated": rules}},
                   headers=team.org.headers))
        before = {row["id"] for row in deliveries(notify_url, [*team.all_ids(), *extra])}
        ok(api.put(f"/v2/issues/{team.issue['id']}", json={"summary": f"x{next(edits)}"},
                   headers=team.bystander.headers))
        drain(notify_settings)
        return {row["target_id"] for row in deliveries(notify_url, [*team.all_ids(), *extra], "inbox")
                if row["id"] not in before}

    assert notified_by([{"type": "reporter"}]) == {team.reporter.user_id}
    assert notified_by([{"type": "assignee"}]) == {team.assignee.user_id}
    # Autowatch: the reporter and the assignee watch too.
    assert notified_by([{"type": "watchers"}]) == {team.watcher.user_id, team.reporter.user_id, team.assignee.user_id}
    assert notified_by([{"type": "project_lead"}]) == {lead.user_id}
    assert notified_by([{"type": "project_role", "role": "administrators"}]) == {role_member.user_id}
    assert notified_by([{"type": "group", "group_id": group_id}]) == {grouped.user_id}
    assert notified_by([{"type": "user", "user_id": single.user_id}]) == {single.user_id}
    # The actor is the bystander: "current user" names them, and their own-changes preference still rules.
    assert notified_by([{"type": "current_user"}]) == set()
    ok(api.put("/v2/notifications/preferences", json={"own_changes": True}, headers=team.bystander.headers))
    assert notified_by([{"type": "current_user"}]) == {team.bystander.user_id}
    assert notified_by([]) == set()


def test_watchers_of_the_parent_and_mentioned_users(api: TestClient, notify_url: str,
                                                     notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    sub = ok(api.post("/v2/issues", json={"project_id": team.project["id"], "issue_type": "Sub-task",
                                          "summary": "Child", "parent_id": team.issue["id"]},
                      headers=team.org.headers), 201)
    drain(notify_settings)
    ok(api.put(f"/v2/projects/{team.project['id']}/notification-scheme",
               json={"events": {"issue_updated": [{"type": "parent_watchers"}]}}, headers=team.org.headers))
    before = {row["id"] for row in deliveries(notify_url, team.all_ids())}
    ok(api.put(f"/v2/issues/{sub['id']}", json={"summary": "Child 2"}, headers=team.org.headers))
    drain(notify_settings)
    # Back to the default scheme, which tells a mentioned user (the custom one named only issue_updated).
    assert ok(api.put(f"/v2/projects/{team.project['id']}/notification-scheme", json={"events": None},
                      headers=team.org.headers))["default"] is True
    ok(api.post(f"/v2/issues/{team.issue['id']}/comments",
                json={"body": f"ping [~accountid:{team.bystander.user_id}]"}, headers=team.org.headers), 201)
    drain(notify_settings)
    new = [row for row in deliveries(notify_url, team.all_ids(), "inbox") if row["id"] not in before]
    by_issue = {(row["target_id"], row["payload"]["issue_id"]) for row in new}
    assert (team.watcher.user_id, sub["id"]) in by_issue
    # The parent's watchers (its reporter and assignee watch it too); nobody watches the sub-task but its creator.
    assert {u for u, i in by_issue if i == sub["id"]} == {team.watcher.user_id, team.reporter.user_id,
                                                          team.assignee.user_id}
    mention = [e for e in inbox_rows(notify_url, team.bystander.user_id) if "user_mentioned" in e["event_kinds"]]
    assert len(mention) == 1 and mention[0]["issue_id"] == team.issue["id"]


def test_component_leads_hear_of_the_issues_of_their_components(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    lead_a, lead_b, elsewhere = (make_user(notify_url, team.org) for _ in range(3))
    team.extra["ids"] = extra = [lead_a.user_id, lead_b.user_id, elsewhere.user_id]

    def component(name: str, lead_id: int | None) -> int:
        return ok(api.post(f"/v2/projects/{team.project['id']}/components", json={"name": name, "lead_id": lead_id},
                           headers=team.org.headers), 201)["id"]

    on_issue = [component("Backend", lead_a.user_id), component("API", lead_b.user_id), component("Docs", None)]
    component("Billing", elsewhere.user_id)  # not the issue's
    edit(api, team, team.org, components=on_issue)
    drain(notify_settings)
    ok(api.put(f"/v2/projects/{team.project['id']}/notification-scheme",
               json={"events": {"issue_updated": [{"type": "component_lead"}]}}, headers=team.org.headers))
    before = {row["id"] for row in deliveries(notify_url, [*team.all_ids(), *extra])}
    edit(api, team, team.bystander)
    drain(notify_settings)
    assert {row["target_id"] for row in deliveries(notify_url, [*team.all_ids(), *extra], "inbox")
            if row["id"] not in before} == {lead_a.user_id, lead_b.user_id}


def test_resolving_closing_and_reopening_are_kinds_of_their_own(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)

    def transition(transition_id: str) -> None:
        ok(api.post(f"/v2/issues/{team.issue['id']}/transitions/{transition_id}", json={}, headers=team.org.headers))

    involved = {team.reporter.user_id, team.assignee.user_id, team.watcher.user_id}
    # The default software workflow: In Progress, Done, Won't Do (from Done), To Do (reopens).
    for transition_id, kind in (("21", "status_changed"), ("31", "issue_resolved"), ("51", "issue_closed"),
                                ("11", "issue_reopened")):
        assert _after(notify_settings, notify_url, team, lambda: transition(transition_id)) == involved, kind
        assert inbox_rows(notify_url, team.reporter.user_id)[-1]["event"] == kind
    # A scheme names one of them and hears of nothing else.
    ok(api.put(f"/v2/projects/{team.project['id']}/notification-scheme",
               json={"events": {"issue_closed": [{"type": "user", "user_id": team.bystander.user_id}]}},
               headers=team.org.headers))
    before = {row["id"] for row in deliveries(notify_url, team.all_ids())}
    for transition_id in ("51", "11", "21", "31", "51"):  # resolved, reopened, moved, resolved, closed
        transition(transition_id)
    drain(notify_settings)
    new = [row for row in deliveries(notify_url, team.all_ids(), "inbox") if row["id"] not in before]
    assert [row["target_id"] for row in new] == [team.bystander.user_id]
    assert inbox_rows(notify_url, team.bystander.user_id)[-1]["event"] == "issue_closed"


def test_a_watcher_who_lost_browse_and_a_deactivated_user_get_nothing(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings, access="private")
    ok(api.put(f"/v2/projects/{team.project['id']}/roles/developers",
               json={"user_ids": [team.reporter.user_id, team.assignee.user_id, team.bystander.user_id]},
               headers=team.org.headers))
    ok(api.put(f"/v2/users/{team.assignee.user_id}", json={"active": False}, headers=team.org.headers))
    got = _after(notify_settings, notify_url, team, lambda: edit(api, team, team.org))
    assert got == {team.reporter.user_id}


def test_a_restricted_comment_reaches_only_those_who_may_read_it(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    ok(api.put(f"/v2/projects/{team.project['id']}/roles/developers", json={"user_ids": [team.watcher.user_id]},
               headers=team.org.headers))

    def comment() -> None:
        ok(api.post(f"/v2/issues/{team.issue['id']}/comments",
                    json={"body": "secret", "visibility": {"type": "role", "value": "developers"}},
                    headers=team.org.headers), 201)

    assert _after(notify_settings, notify_url, team, comment) == {team.watcher.user_id}


def test_muted_issues_preferences_and_unreachable_channels(api: TestClient, notify_url: str,
                                                             notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    book = EmailBook(unreachable=[team.assignee.user_id])
    assert ok(api.put(f"/v2/issues/{team.issue['id']}/mute", headers=team.watcher.headers)) == {
        "issue_id": team.issue["id"], "muted": True}
    ok(api.put("/v2/notifications/preferences", json={"channels": {"email": False}}, headers=team.reporter.headers))
    ok(api.put("/v2/notifications/preferences", json={"events": {"issue_updated": {"inbox": False}}},
               headers=team.assignee.headers))
    before = {row["id"] for row in deliveries(notify_url, team.all_ids())}
    edit(api, team, team.org)
    drain(notify_settings, directories=[book])
    new = {(row["target_id"], row["channel"]) for row in deliveries(notify_url, team.all_ids()) if row["id"] not in before}
    # reporter: inbox only (email off); assignee: email unreachable, inbox off for updates; watcher: muted.
    assert new == {(team.reporter.user_id, "inbox")}
    ok(api.delete(f"/v2/issues/{team.issue['id']}/mute", headers=team.watcher.headers))
    before |= {row["id"] for row in deliveries(notify_url, team.all_ids())}
    edit(api, team, team.org)
    drain(notify_settings, directories=[book])
    new = {(row["target_id"], row["channel"]) for row in deliveries(notify_url, team.all_ids()) if row["id"] not in before}
    assert new == {(team.reporter.user_id, "inbox"), (team.watcher.user_id, "inbox"), (team.watcher.user_id, "email")}
    email = [row for row in deliveries(notify_url, [team.watcher.user_id], "email")][-1]
    assert email["target"] == f"user{team.watcher.user_id}@mail.test"
    assert email["batch_key"] == f"n:{team.watcher.user_id}:email:{team.issue['id']}"
    assert email["payload"]["kind"] == "issue" and email["payload"]["recipient_id"] == team.watcher.user_id
    change = email["payload"]["changes"][0]
    assert change["event_type"] == "issue_updated" and change["actor_id"] == team.org.admin_user_id
    assert set(change) >= {"event_id", "event_type", "actor_id", "at", "payload"}


def test_a_disabled_webhook_is_told_to_its_owner_only(api: TestClient, notify_url: str,
                                                      notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    asyncio.run(_webhook_disabled(notify_settings, team))
    drain(notify_settings)
    entries = inbox_rows(notify_url, team.watcher.user_id)
    assert entries[-1]["event"] == "webhook_disabled" and entries[-1]["issue_id"] is None
    assert entries[-1]["changes"][0]["payload"]["url"] == "https://hooks.example/x"
    assert not [e for e in inbox_rows(notify_url, team.reporter.user_id) if e["event"] == "webhook_disabled"]


async def _group(settings: Settings, organization_id: int, user_ids: list[int]) -> int:
    database = Database(settings)
    try:
        async with database.unit_of_work() as session:
            group = Group(organization_id=organization_id, name=f"g{utcnow().timestamp()}")
            session.add(group)
            await session.flush()
            for user_id in user_ids:
                session.add(GroupMember(organization_id=organization_id, group_id=group.id, user_id=user_id))
            return group.id
    finally:
        await database.dispose()


async def _webhook_disabled(settings: Settings, team: Team) -> None:
    database = Database(settings)
    try:
        async with database.unit_of_work() as session:
            await emit(session, WebhookDisabled(webhook_id=77, owner_id=team.watcher.user_id, webhook_name="ci",
                                                url="https://hooks.example/x", reason="10 failures in a row"),
                       organization_id=team.org.organization_id, aggregate_id=77, actor_id=None)
    finally:
        await database.dispose()
