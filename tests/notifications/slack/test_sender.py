"""The Slack channel against a real HTTP receiver on 127.0.0.1, on both databases: the Block Kit
message of a real issue's changes, posted to the recipient's own webhook; Slack's answers mapped
to delivered, permanent and retried outcomes; and the address guard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.models import Channel
from tessera.notifications.slack.directory import SlackDirectory
from tessera.notifications.slack.sender import SlackSender
from tessera.notifications.slack.service import check_set_user_slack
from tests.factories.domain import acting_as
from tests.factories.http import ok
from tests.factories.notification_world import busy_issue, claimed, delivery, issue_changes, notification_payload
from tests.factories.slack_receiver import slack_receiver
from tests.support import OrgHandle, UserHandle, make_user_async, unique_key


@pytest.fixture
def private_settings(settings: Settings) -> Settings:
    return replace(settings, outbound_allow_private=True)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


async def set_hook(database_url: str, settings: Settings, who: UserHandle, url: str) -> None:
    async with acting_as(database_url, who) as (session, actor):
        await check_set_user_slack(session, actor=actor, settings=settings, url=url)


async def slack_deliveries(database: Database, org: OrgHandle, recipients: list[UserHandle], changes: list[dict],
                           issue: dict) -> list:
    return [await claimed(database, delivery(org.organization_id, Channel.SLACK, f"slack: user {who.user_id}",
                                             notification_payload(who.user_id, changes, issue=issue),
                                             f"test:slack:{unique_key()}", target_id=who.user_id))
            for who in recipients]


async def test_a_block_kit_message_goes_to_the_recipients_own_webhook(
        client: TestClient, private_settings: Settings, database_url: str, database: Database, org: OrgHandle,
        project: dict, member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member)
    admin = ok(client.get("/v2/myself", headers=org.headers))["display_name"]
    with slack_receiver() as receiver:
        await set_hook(database_url, private_settings, member, f"{receiver.base_url}/ok/services/T1/B1/x")
        changes = await issue_changes(database, org.organization_id, issue["id"])
        sender = SlackSender(private_settings, database)
        [outcome] = await sender.send_batch(await slack_deliveries(database, org, [member], changes, issue))
        await sender.aclose()
    assert outcome.ok and outcome.status_code == 200 and outcome.response_snippet == "ok"
    [message] = receiver.bodies("/ok")
    blocks = message["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "emoji": False,
                                                    "text": f"{issue['key']} Checkout fails on Safari <script>"}}
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert f"*{admin} changed the status*\nStatus: ~To Do~ → In Progress" in sections
    assert any("Summary: ~Checkout fails on Safari~ → Checkout fails on Safari &lt;script&gt;" in s
               for s in sections)
    comment = next(s for s in sections if "commented" in s)
    assert ">Found it: **the cart** &amp; `cookie`" in comment and "&lt;b&gt;now&lt;/b&gt;" in comment
    contexts = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert contexts and all(text.startswith(f"{admin} · ") and text.endswith("UTC") for text in contexts)
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert actions["elements"][0]["url"] == f"http://testserver/browse/{issue['key']}"
    assert actions["elements"][0]["text"]["text"] == f"Open {issue['key']}"
    assert message["text"].startswith(f"{issue['key']} Checkout fails on Safari &lt;script&gt;: ")
    assert len(blocks) <= 50


@pytest.mark.parametrize(("path", "ok_", "retry", "retry_after"), [
    ("/gone", False, False, None), ("/archived", False, False, None), ("/busy", False, True, 30.0),
    ("/broken", False, True, None),
])
async def test_slacks_answers_become_outcomes(
        client: TestClient, private_settings: Settings, database_url: str, database: Database, org: OrgHandle,
        project: dict, member: UserHandle, path: str, ok_: bool, retry: bool, retry_after: float | None) -> None:
    issue = busy_issue(client, org, project, member)
    with slack_receiver() as receiver:
        await set_hook(database_url, private_settings, member, f"{receiver.base_url}{path}/services/T/B/x")
        sender = SlackSender(private_settings, database)
        [outcome] = await sender.send_batch(await slack_deliveries(
            database, org, [member], await issue_changes(database, org.organization_id, issue["id"]), issue))
        await sender.aclose()
    assert (outcome.ok, outcome.retry, outcome.retry_after_seconds) == (ok_, retry, retry_after)
    assert len(receiver.bodies(path)) == 1


async def test_no_webhook_and_a_refused_address_are_permanent(
        client: TestClient, settings: Settings, private_settings: Settings, database_url: str, database: Database,
        org: OrgHandle, project: dict, member: UserHandle) -> None:
    issue = busy_issue(client, org, project, member)
    nobody = await make_user_async(database_url, org)
    with slack_receiver() as receiver:
        await set_hook(database_url, private_settings, member, f"{receiver.base_url}/ok/services/T/B/x")
        changes = await issue_changes(database, org.organization_id, issue["id"])
        guarded = SlackSender(settings, database)  # the default policy: loopback is refused
        refused, unset = await guarded.send_batch(await slack_deliveries(database, org, [member, nobody], changes,
                                                                         issue))
        await guarded.aclose()
    assert (refused.ok, refused.retry) == (False, False) and "refused" in refused.error
    assert (unset.ok, unset.retry) == (False, False) and "no Slack webhook" in unset.error
    assert receiver.posts == []


async def test_the_directory_reaches_active_users_with_a_webhook_in_the_organization(
        private_settings: Settings, database_url: str, database: Database, org: OrgHandle, other_org: OrgHandle,
        member: UserHandle) -> None:
    stranger = await make_user_async(database_url, other_org)
    await set_hook(database_url, private_settings, member, "http://127.0.0.1:9/hook")
    await set_hook(database_url, private_settings, stranger, "http://127.0.0.1:9/hook")
    async with database.unit_of_work(write=False) as session:
        reached = await SlackDirectory().reachable(session, org.organization_id,
                                                   [member.user_id, org.admin_user_id, stranger.user_id])
    assert reached == {member.user_id: f"slack: user {member.user_id}"}
