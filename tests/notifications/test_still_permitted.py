"""The permission check at send time, on a database of the module's own, both backends: changes
fanned out while people could see the issue, then one of them removed from the private project's
role and another deactivated before the worker sends. Real parts: the worker's fan-out and
delivery runner, the inbox sender, the email sender against aiosmtpd."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, Outcome, RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.notifications.batching import BatchPolicy
from tessera.notifications.email.directory import EmailDirectory
from tessera.notifications.email.sender import EmailSender
from tessera.notifications.still_permitted import NO_LONGER_PERMITTED, send_still_permitted
from tessera.workers.pipeline import Pipeline
from tessera.workers.registry import build_registry, register_notifications
from tessera.workers.runner import run_once
from tests.factories.http import ok
from tests.factories.notification_world import claimed, delivery, issue_changes, notification_payload
from tests.factories.smtp_capture import smtp_server
from tests.notifications.conftest import deliveries, edit, inbox_rows, make_team
from tests.support import unique_key


def _pipeline(settings: Settings, database: Database) -> Pipeline:
    handlers, senders = build_registry(settings), SenderRegistry()
    senders.register(Channel.EMAIL, EmailSender(settings, database))
    register_notifications(handlers, senders, settings, database, directories=[EmailDirectory(settings)],
                           policy=BatchPolicy(window_seconds=0))
    return Pipeline(database, handlers, senders, RetryPolicy())


async def _fan_out_only(settings: Settings) -> None:
    database = Database(settings)
    try:
        pipeline = _pipeline(settings, database)
        while await run_once(database, pipeline.handlers):
            pass
    finally:
        await database.dispose()


async def _drain(settings: Settings) -> None:
    database = Database(settings)
    try:
        pipeline = _pipeline(settings, database)
        await pipeline.drain()
        await pipeline.aclose()
    finally:
        await database.dispose()


def test_people_who_lost_access_after_the_fan_out_get_nothing(api: TestClient, notify_settings: Settings,
                                                              notify_url: str) -> None:
    team = make_team(api, notify_url, access="private")  # reporter, assignee, watcher, bystander: developers
    with smtp_server() as smtp:
        settings = replace(notify_settings, smtp_url=smtp.url(), mail_from="Tessera <tessera@testserver>")
        asyncio.run(_drain(settings))  # what the team's creation caused, sent
        mails_before = len(smtp.capture.envelopes)
        inbox_before = {u: len(inbox_rows(notify_url, u)) for u in team.people}

        edit(api, team, team.org)
        asyncio.run(_fan_out_only(settings))
        fanned = deliveries(notify_url, [team.watcher.user_id, team.assignee.user_id, team.reporter.user_id])
        pending = [d for d in fanned if d["state"] == "pending"]
        # The edit reached all three on both channels while they could see the issue.
        assert {(d["target_id"], d["channel"]) for d in pending} == {
            (u, c) for u in (team.watcher.user_id, team.assignee.user_id, team.reporter.user_id)
            for c in ("inbox", "email")}

        # The watcher leaves the project's role; the assignee is deactivated.
        ok(api.put(f"/v2/projects/{team.project['id']}/roles/developers",
                   json={"user_ids": [team.reporter.user_id, team.assignee.user_id, team.bystander.user_id]},
                   headers=team.org.headers))
        ok(api.put(f"/v2/users/{team.assignee.user_id}", json={"active": False}, headers=team.org.headers))
        asyncio.run(_drain(settings))

    new_mail = [rcpt for _, [rcpt] in smtp.capture.envelopes[mails_before:]]
    assert new_mail == [team.reporter.email]
    assert len(inbox_rows(notify_url, team.reporter.user_id)) == inbox_before[team.reporter.user_id] + 1
    for lost in (team.watcher, team.assignee):
        assert len(inbox_rows(notify_url, lost.user_id)) == inbox_before[lost.user_id]
    states = {(d["target_id"], d["channel"]): d["state"] for d in deliveries(
        notify_url, [team.watcher.user_id, team.assignee.user_id, team.reporter.user_id]) if d["id"] in
        {p["id"] for p in pending}}
    assert states == {(team.reporter.user_id, "inbox"): "delivered", (team.reporter.user_id, "email"): "delivered",
                      (team.watcher.user_id, "inbox"): "dead", (team.watcher.user_id, "email"): "dead",
                      (team.assignee.user_id, "inbox"): "dead", (team.assignee.user_id, "email"): "dead"}


def test_a_digest_keeps_the_changes_still_visible_and_notes_the_rest(
        api: TestClient, notify_settings: Settings, notify_url: str) -> None:
    """A digest lists changes of two projects; its recipient has since left one of them, then
    muted the issue of the other."""
    team = make_team(api, notify_url, access="private")
    other = ok(api.post("/v2/projects", json={"key": f"Q{team.org.key[-5:]}"[:10].upper(), "name": "Other",
                                              "access": "private"}, headers=team.org.headers), 201)
    ok(api.put(f"/v2/projects/{other['id']}/roles/developers", json={"user_ids": [team.watcher.user_id]},
               headers=team.org.headers))
    elsewhere = ok(api.post("/v2/issues", json={"project_id": other["id"], "issue_type": "Task",
                                                "summary": "Elsewhere"}, headers=team.org.headers), 201)
    org_id, watcher = team.org.organization_id, team.watcher.user_id

    async def changes_of_both() -> list[dict]:
        database = Database(notify_settings)
        try:
            return [{**change, "issue_id": issue["id"], "issue_key": issue["key"]}
                    for issue in (team.issue, elsewhere)
                    for change in (await issue_changes(database, org_id, issue["id"]))[:1]]
        finally:
            await database.dispose()

    changes = asyncio.run(changes_of_both())
    ok(api.put(f"/v2/projects/{other['id']}/roles/developers", json={"user_ids": []}, headers=team.org.headers))
    handed: list[ClaimedDelivery] = []

    async def record(batch: Sequence[ClaimedDelivery]) -> list[Outcome]:
        handed.extend(batch)
        return [Outcome.delivered() for _ in batch]

    async def send() -> tuple[list[ClaimedDelivery], list[Outcome]]:
        database = Database(notify_settings)
        try:
            held = [await claimed(database, delivery(
                org_id, Channel.INBOX, f"user {watcher}", notification_payload(watcher, picked, kind="digest"),
                f"test:digest:{unique_key()}", target_id=watcher)) for picked in (changes, changes[1:])]
            return held, await send_still_permitted(database, held, record)
        finally:
            await database.dispose()

    (digest, gone), outcomes = asyncio.run(send())
    # Muting the issue counts too, as at the fan-out.
    ok(api.put(f"/v2/issues/{team.issue['id']}/mute", headers=team.watcher.headers))
    (_, _), after_mute = asyncio.run(send())
    assert [(o.ok, o.error) for o in after_mute] == [(False, NO_LONGER_PERMITTED)] * 2
    assert [d.id for d in handed] == [digest.id]
    assert [c["issue_id"] for c in handed[0].payload["changes"]] == [team.issue["id"]]
    assert len(digest.payload["changes"]) == 2  # the stored delivery keeps what the fan-out decided
    assert outcomes[0].ok and outcomes[0].response_snippet == "1 change(s) no longer permitted were left out"
    assert (outcomes[1].ok, outcomes[1].retry, outcomes[1].error) == (False, False, NO_LONGER_PERMITTED)
