"""End to end on a database of its own (the worker claims every organization's events), on both
backends: a project's Slack channel set over the API, issue changes made over the API, and one
`tessera worker` pipeline pass (as build_pipeline wires it) posting one coalesced Block Kit
message to a real receiver; the email sender is wired only when an SMTP server is configured."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.models import Channel
from tessera.events.types import CommentAdded, IssueUpdated
from tessera.main import create_app
from tessera.workers.registry import build_pipeline
from tests.conftest import BACKENDS
from tests.factories.http import ok
from tests.factories.notification_world import busy_issue
from tests.factories.slack_receiver import slack_receiver
from tests.support import fetch_rows_async, fresh_database, make_org_async, make_user_async


@pytest.fixture(scope="module", params=BACKENDS)
def own_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                     postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("pipeline")), postgres_skip_reason) as url:
        yield url


async def test_a_project_channel_gets_one_message_for_a_burst_of_changes(own_database_url: str,
                                                                         tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(database_url=own_database_url, base_url="http://tessera.test", outbound_allow_private=True,
                        notify_batch_seconds=0, attachments_dir=str(tmp_path_factory.mktemp("files")),
                        login_address_failures=1_000_000)
    org = await make_org_async(own_database_url)
    member = await make_user_async(own_database_url, org)
    with slack_receiver() as receiver, TestClient(create_app(settings)) as client:
        project = ok(client.post("/v2/projects", json={"key": "TEAM", "name": "Team"}, headers=org.headers), 201)
        ok(client.put(f"/v2/projects/{project['id']}/slack", json={"url": f"{receiver.base_url}/ok"},
                      headers=org.headers))
        issue = busy_issue(client, org, project, member)
        database = Database(settings)
        try:
            pipeline = build_pipeline(settings, database)
            assert set(pipeline.senders.senders) == {Channel.WEBHOOK, Channel.INBOX, Channel.SLACK}  # no SMTP, no VAPID
            await pipeline.drain()
            await pipeline.senders.senders[Channel.SLACK].aclose()  # type: ignore[attr-defined]
        finally:
            await database.dispose()
    [message] = receiver.bodies("/ok")
    assert message["blocks"][0]["text"]["text"] == f"{issue['key']} Checkout fails on Safari <script>"
    assert len([b for b in message["blocks"] if b["type"] == "section"]) == 4
    [row] = await fetch_rows_async(own_database_url, "SELECT state, channel, target FROM deliveries WHERE channel = 'slack'")
    assert row == {"state": "delivered", "channel": "slack", "target": f"slack: project {project['id']}"}


def test_the_email_sender_is_wired_when_smtp_is_configured(settings: Settings) -> None:
    pipeline = build_pipeline(replace(settings, smtp_url="smtp://127.0.0.1:2525"), Database(settings))
    assert set(pipeline.senders.senders) == {Channel.WEBHOOK, Channel.INBOX, Channel.EMAIL, Channel.SLACK}
    # The webhooks' fan-out, the project channels' handler and the notifications' fan-out.
    assert len(pipeline.handlers.for_class(IssueUpdated)) == len(pipeline.handlers.for_class(CommentAdded)) == 3
