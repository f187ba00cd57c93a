"""A project's Slack channel, on both databases: the issue events real API calls wrote coalesce
into one batched delivery per issue and channel, posted as one message; restricted comments and
other projects' (and organizations') issues never reach it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery
from tessera.delivery.models import Delivery, DeliveryState
from tessera.events.models import OutboxEvent
from tessera.notifications.slack.project_channel import PROJECT_CHANNEL_EVENTS, enqueue_project_slack
from tessera.notifications.slack.sender import SlackSender
from tessera.notifications.slack.service import check_set_project_slack
from tessera.projects.service import access_project
from tests.factories.domain import acting_as
from tests.factories.http import ok
from tests.factories.notification_world import busy_issue
from tests.factories.slack_receiver import slack_receiver
from tests.support import OrgHandle


@pytest.fixture
def private_settings(settings: Settings) -> Settings:
    return replace(settings, outbound_allow_private=True)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


async def set_channel(database_url: str, settings: Settings, org: OrgHandle, project_id: int, url: str) -> None:
    async with acting_as(database_url, org) as (session, actor):
        project = await access_project(session, actor, project_id)
        await check_set_project_slack(session, actor=actor, settings=settings, project=project, url=url)


async def outbox(database: Database, organization_id: int, issue_id: int) -> list[OutboxEvent]:
    async with database.unit_of_work(write=False) as session:
        return list((await session.scalars(select(OutboxEvent).where(
            OutboxEvent.organization_id == organization_id, OutboxEvent.aggregate_type == "issue",
            OutboxEvent.aggregate_id == issue_id).order_by(OutboxEvent.id))).all())


async def handle(database: Database, events: list[OutboxEvent], *, batch_seconds: float = 120) -> list[bool]:
    """What the worker's handler does, for the events it subscribes to."""
    results = []
    for event in events:
        if issubclass(event.event_class, PROJECT_CHANNEL_EVENTS):
            async with database.unit_of_work() as session:
                results.append(await enqueue_project_slack(session, event, batch_seconds=batch_seconds))
    return results


async def batches(database: Database, project_id: int) -> list[Delivery]:
    async with database.unit_of_work(write=False) as session:
        return list((await session.scalars(select(Delivery).where(
            Delivery.batch_key.like(f"s:{project_id}:%")).order_by(Delivery.id))).all())


def held(row: Delivery) -> ClaimedDelivery:
    return ClaimedDelivery(id=row.id, organization_id=row.organization_id, channel=row.channel,
                           event_id=row.event_id, event_type=row.event_type, target_id=row.target_id,
                           target=row.target, idempotency_key=row.idempotency_key, payload=row.payload,
                           attempts=1, created_at=row.created_at)


async def test_an_issues_changes_coalesce_into_one_channel_message(
        client: TestClient, private_settings: Settings, database_url: str, database: Database, org: OrgHandle,
        project: dict, member) -> None:  # type: ignore[no-untyped-def]
    with slack_receiver() as receiver:
        await set_channel(database_url, private_settings, org, project["id"], f"{receiver.base_url}/ok")
        issue = busy_issue(client, org, project, member)
        events = await outbox(database, org.organization_id, issue["id"])
        assert all(await handle(database, events))
        await handle(database, events)  # the worker ran them again after a crash: nothing added
        [batch] = await batches(database, project["id"])
        assert batch.batch_key == f"s:{project['id']}:{issue['id']}" and batch.state == DeliveryState.PENDING
        assert batch.next_attempt_at > utcnow() + timedelta(seconds=100)  # the batching window
        assert [c["event_type"] for c in batch.payload["changes"]] == [
            "issue_created", "issue_updated", "status_changed", "comment_added"]
        assert batch.payload["recipient_id"] is None and batch.payload["project_id"] == project["id"]
        sender = SlackSender(private_settings, database)
        [outcome] = await sender.send_batch([held(batch)])
        await sender.aclose()
    assert outcome.ok
    [message] = receiver.bodies("/ok")
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 4 and message["blocks"][0]["text"]["text"].startswith(issue["key"])


async def test_a_claimed_batch_is_not_joined_and_restricted_comments_stay_out(
        client: TestClient, private_settings: Settings, database_url: str, database: Database, org: OrgHandle,
        project: dict, member) -> None:  # type: ignore[no-untyped-def]
    await set_channel(database_url, private_settings, org, project["id"], "http://127.0.0.1:9/hook")
    issue = ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                               "summary": "Quiet"}, headers=org.headers), 201)
    await handle(database, await outbox(database, org.organization_id, issue["id"]))
    [first] = await batches(database, project["id"])
    async with database.unit_of_work() as session:  # a worker claimed it
        await session.execute(update(Delivery).where(Delivery.id == first.id).values(state="sending"))
    ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "For developers only",
                                                                "visibility": {"type": "role",
                                                                               "value": "developers"}},
                   headers=org.headers), 201)
    ok(client.post(f"/v2/issues/{issue['id']}/comments", json={"body": "For everyone"}, headers=org.headers), 201)
    events = await outbox(database, org.organization_id, issue["id"])
    results = await handle(database, events[1:])
    assert results == [False, True]  # the restricted comment is not for a channel
    first_again, second = await batches(database, project["id"])
    assert len(first_again.payload["changes"]) == 1
    assert [c["payload"]["body"] for c in second.payload["changes"]] == ["For everyone"]


async def test_a_channel_never_gets_another_projects_or_organizations_issue(
        client: TestClient, private_settings: Settings, database_url: str, database: Database, org: OrgHandle,
        other_org: OrgHandle, project: dict, member) -> None:  # type: ignore[no-untyped-def]
    theirs = ok(client.post("/v2/projects", json={"key": "THEIRS", "name": "Theirs"}, headers=other_org.headers),
                201)
    await set_channel(database_url, private_settings, other_org, theirs["id"], "http://127.0.0.1:9/theirs")
    ours = ok(client.post("/v2/projects", json={"key": "QUIET", "name": "No channel"}, headers=org.headers), 201)
    issue = busy_issue(client, org, ours, member)
    events = await outbox(database, org.organization_id, issue["id"])
    assert await handle(database, events) == [False] * 4  # our project has no channel
    # An event of our organization that names their project's id (a forged or corrupted payload).
    forged = OutboxEvent(id=events[0].id, organization_id=org.organization_id, event_type=events[0].event_type,
                         aggregate_type="issue", aggregate_id=issue["id"], actor_id=None,
                         payload={**events[0].payload, "project_id": theirs["id"]}, created_at=utcnow())
    assert await handle(database, [forged]) == [False]
    assert await batches(database, theirs["id"]) == []
