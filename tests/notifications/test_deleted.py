"""Notifications of a deleted issue (the `issue_deleted` kind), as Jira's "Issue Deleted" event:
the issue, its watchers and components are gone by the fan-out, so its event snapshot them; the
people involved who may still browse the project hear of it on their channels (the inbox and a
real SMTP server here), with the key and summary and no link; on both databases."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.events.outbox import emit
from tessera.events.types import IssueDeleted
from tessera.notifications.email.directory import EmailDirectory
from tessera.notifications.email.sender import EmailSender
from tessera.workers.pipeline import Pipeline
from tessera.workers.registry import build_registry, register_notifications
from tests.factories.http import ok
from tests.factories.smtp_capture import smtp_server
from tests.notifications.conftest import Team, deliveries, drain, inbox_rows, make_team
from tests.support import fetch_rows


async def _drain_with_email(settings: Settings) -> None:
    """The worker with the inbox and the email channel (a real SMTP server at settings.smtp_url)."""
    database = Database(settings)
    try:
        handlers, senders = build_registry(settings), SenderRegistry()
        email = EmailSender(settings, database)
        senders.register(Channel.EMAIL, email)
        register_notifications(handlers, senders, settings, database, directories=[EmailDirectory(settings)])
        await Pipeline(database, handlers, senders, RetryPolicy()).drain()
        await email.aclose()
    finally:
        await database.dispose()


def _display_name(url: str, user_id: int) -> str:
    [row] = fetch_rows(url, "SELECT display_name FROM users WHERE id = :u", {"u": user_id})
    return str(row["display_name"])


def _delete(api: TestClient, team: Team) -> None:
    ok(api.delete(f"/v2/issues/{team.issue['id']}", headers=team.org.headers), 204)


def test_watcher_and_assignee_hear_of_the_deletion_by_inbox_and_mail(
        api: TestClient, notify_settings: Settings, notify_url: str) -> None:
    team = make_team(api, notify_url, access="private")
    other = make_team(api, notify_url)  # another organization, watching its own issue
    # The admin (the actor) watches too: their own change is not news to them.
    ok(api.put(f"/v2/issues/{team.issue['id']}/watch", json={"user_id": team.org.admin_user_id},
               headers=team.org.headers))
    # The watcher stays involved but may no longer browse the project.
    ok(api.put(f"/v2/projects/{team.project['id']}/roles/developers",
               json={"user_ids": [team.reporter.user_id, team.assignee.user_id]}, headers=team.org.headers))
    drain(notify_settings)
    before = {user_id: len(inbox_rows(notify_url, user_id)) for user_id in (*team.all_ids(), *other.all_ids())}
    with smtp_server() as smtp:
        settings = replace(notify_settings, smtp_url=smtp.url(), mail_from="Tessera <tessera@testserver>")
        _delete(api, team)
        asyncio.run(_drain_with_email(settings))
    actor = _display_name(notify_url, team.org.admin_user_id)
    key, summary = team.issue["key"], "Hello"  # make_team's issue
    told = {team.reporter.user_id, team.assignee.user_id}
    for user_id in (*team.all_ids(), *other.all_ids()):
        fresh = inbox_rows(notify_url, user_id)[before[user_id]:]
        if user_id not in told:
            assert fresh == [], user_id  # the watcher who lost access, the actor, the bystander, the other org
            continue
        [entry] = fresh
        assert entry["issue_key"] == key and entry["event_kinds"] == ["issue_deleted"]
        [change] = entry["changes"]
        assert change["payload"]["summary"] == summary and change["actor_id"] == team.org.admin_user_id
        assert "watcher_ids" not in change["payload"]  # the fan-out's input, not the recipient's news
    mailed = {message["To"]: message for message in smtp.capture.messages}
    emails = {team.reporter.user_id: team.reporter.email, team.assignee.user_id: team.assignee.email}
    assert set(mailed) == set(emails.values())
    for message in mailed.values():
        assert message["Subject"] == f"[{key}] {summary}"
        for part in ("plain", "html"):
            body = message.get_body((part,)).get_content()
            assert key in body and summary in body and f"{actor} deleted {key}" in body
            assert "(deleted issue)" in body
            assert f"/browse/{key}" not in body  # the issue is gone: nothing to link to
    # The deletion's rows: one per (recipient, channel), and none in the other organization.
    assert {(d["target_id"], d["channel"]) for d in deliveries(notify_url, team.all_ids())
            if d["payload"]["changes"][0]["kind"] == "issue_deleted"} == {
        (u, channel) for u in told for channel in ("inbox", "email")}
    assert not [d for d in deliveries(notify_url, other.all_ids())
                if any(c["kind"] == "issue_deleted" for c in d["payload"]["changes"])]


def test_a_deletion_without_its_snapshot_notifies_nobody(
        api: TestClient, notify_settings: Settings, notify_url: str) -> None:
    """An IssueDeleted written before the snapshot existed (or a sub-task's, deleted with its
    parent) is fanned out without error and tells nobody: there is no one to ask about."""
    team = make_team(api, notify_url)
    drain(notify_settings)
    before = {user_id: len(inbox_rows(notify_url, user_id)) for user_id in team.all_ids()}

    async def old_style() -> int:
        database = Database(notify_settings)
        try:
            async with database.unit_of_work() as session:
                return await emit(session, IssueDeleted(
                    issue_id=team.issue["id"] + 10_000, issue_key="OLD-1", project_id=team.project["id"],
                    user_id=team.org.admin_user_id, timestamp="2025-01-01T00:00:00+00:00"),
                    organization_id=team.org.organization_id, aggregate_id=team.issue["id"] + 10_000,
                    actor_id=team.org.admin_user_id)
        finally:
            await database.dispose()

    event_id = asyncio.run(old_style())
    drain(notify_settings)
    assert fetch_rows(notify_url, "SELECT event_id FROM notified_events WHERE event_id = :e", {"e": event_id})
    assert {user_id: len(inbox_rows(notify_url, user_id)) for user_id in team.all_ids()} == before
