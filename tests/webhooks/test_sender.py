"""A receiver that fails: retries (honouring Retry-After) up to dead, 410 at once, five dead
deliveries in a row disable the webhook and tell its owner; a disabled or deleted webhook's
pending deliveries are not sent; private addresses are refused at send time."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import datetime

from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import RetryPolicy, SenderRegistry
from tessera.delivery.models import Channel
from tessera.delivery.outbound_http import outbound_client
from tessera.delivery.outbound_http import parse_retry_after as retry_after_seconds
from tessera.events.types import DomainEvent
from tessera.webhooks.auto_disable import DISABLE_AFTER_DEAD
from tessera.webhooks.fanout import WebhookFanOut
from tessera.webhooks.sender import WebhookSender
from tessera.workers.pipeline import Pipeline
from tessera.workers.runner import HandlerRegistry
from tests.factories.receiver import Receiver
from tests.support import OrgHandle, fetch_rows
from tests.webhooks.conftest import create_issue, create_webhook, deliveries_of, drain, make_due


def test_a_500_is_retried_to_dead_and_the_history_shows_each_attempt(
        wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle, wh_project: dict,
        receiver: Receiver) -> None:
    receiver.statuses = [500]
    hook = create_webhook(wh_client, wh_org, receiver.url)
    create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    [first] = deliveries_of(wh_settings.database_url, hook["id"])
    assert (first["state"], first["attempts"], first["last_status"]) == ("failed", 1, 500)
    for _ in range(wh_settings.delivery_max_attempts - 1):
        make_due(wh_settings.database_url, hook["id"])
        drain(wh_settings)
    [dead] = deliveries_of(wh_settings.database_url, hook["id"])
    assert (dead["state"], dead["attempts"]) == ("dead", wh_settings.delivery_max_attempts)
    keys = {r.headers["x-tessera-delivery"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(keys) == 1  # the same id on every retry
    assert [r.headers.get("x-atlassian-webhook-retry") for r in receiver.requests] == [None, "1", "2"]
    history = wh_client.get(f"/v2/webhooks/{hook['id']}/deliveries", headers=wh_org.headers).json()
    [entry] = history["deliveries"]
    assert entry["state"] == "dead" and entry["webhook_event"] == "jira:issue_created"
    assert [a["status_code"] for a in entry["history"]] == [500, 500, 500]
    assert all(a["response_snippet"] == '{"status": 500}' and a["duration_ms"] >= 0 for a in entry["history"])
    # One dead delivery is not yet a reason to disable the webhook.
    assert wh_client.get(f"/v2/webhooks/{hook['id']}", headers=wh_org.headers).json()["consecutive_failures"] == 1


def test_429_waits_at_least_retry_after(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle,
                                        wh_project: dict, receiver: Receiver) -> None:
    receiver.statuses = [429]
    receiver.extra_headers = {"Retry-After": "3600"}
    hook = create_webhook(wh_client, wh_org, receiver.url)
    create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    [row] = fetch_rows(wh_settings.database_url, "SELECT state, next_attempt_at, updated_at FROM deliveries "
                       "WHERE target_id = :id", {"id": hook["id"]})
    assert row["state"] == "failed"
    wait = _moment(row["next_attempt_at"]) - _moment(row["updated_at"])
    assert wait.total_seconds() >= 3599  # not the 5 to 10 seconds of the first backoff
    assert retry_after_seconds("120") == 120.0 and retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None


def _moment(value: object) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=None)


def test_410_is_final_at_once(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle, wh_project: dict,
                              receiver: Receiver) -> None:
    receiver.statuses = [410]
    hook = create_webhook(wh_client, wh_org, receiver.url)
    create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    [row] = deliveries_of(wh_settings.database_url, hook["id"])
    assert (row["state"], row["attempts"], row["last_status"]) == ("dead", 1, 410)


def test_five_dead_deliveries_in_a_row_disable_the_webhook_and_tell_its_owner(
        wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle, wh_project: dict,
        receiver: Receiver) -> None:
    once = replace(wh_settings, delivery_max_attempts=1)
    receiver.statuses = [200, 500]
    hook = create_webhook(wh_client, wh_org, receiver.url)
    create_issue(wh_client, wh_org, wh_project)
    drain(once)
    for number in range(DISABLE_AFTER_DEAD):
        create_issue(wh_client, wh_org, wh_project, summary=f"Failing {number}")
        drain(once)
    shown = wh_client.get(f"/v2/webhooks/{hook['id']}", headers=wh_org.headers).json()
    assert shown["enabled"] is False and shown["consecutive_failures"] == DISABLE_AFTER_DEAD
    assert "5 deliveries in a row failed" in shown["disabled_reason"] and shown["disabled_at"]
    [event] = fetch_rows(wh_settings.database_url, "SELECT payload FROM outbox_events WHERE event_type = "
                         "'webhook_disabled' AND aggregate_id = :id", {"id": hook["id"]})
    payload = event["payload"] if isinstance(event["payload"], dict) else json.loads(event["payload"])
    assert payload["owner_id"] == wh_org.admin_user_id and payload["webhook_id"] == hook["id"]
    # Disabled: new events are not fanned out to it.
    sent = len(receiver.requests)
    create_issue(wh_client, wh_org, wh_project, summary="After")
    drain(once)
    assert len(receiver.requests) == sent
    # Enabling it again starts the count afresh.
    enabled = wh_client.patch(f"/v2/webhooks/{hook['id']}", json={"enabled": True}, headers=wh_org.headers).json()
    assert enabled["enabled"] is True and enabled["consecutive_failures"] == 0 and enabled["disabled_reason"] is None


def test_a_success_resets_the_count(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle,
                                    wh_project: dict, receiver: Receiver) -> None:
    once = replace(wh_settings, delivery_max_attempts=1)
    receiver.statuses = [500, 500, 200]
    hook = create_webhook(wh_client, wh_org, receiver.url)
    for number in range(3):
        create_issue(wh_client, wh_org, wh_project, summary=f"Issue {number}")
        drain(once)
    shown = wh_client.get(f"/v2/webhooks/{hook['id']}", headers=wh_org.headers).json()
    assert shown["consecutive_failures"] == 0 and shown["enabled"] is True


def test_pending_deliveries_of_a_disabled_or_deleted_webhook_are_not_sent(
        wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle, wh_project: dict,
        receiver: Receiver) -> None:
    disabled = create_webhook(wh_client, wh_org, receiver.url + "/disabled")
    deleted = create_webhook(wh_client, wh_org, receiver.url + "/deleted")
    receiver.statuses = [500]
    create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    assert len(receiver.requests) == 2
    [queued] = deliveries_of(wh_settings.database_url, deleted["id"])
    wh_client.patch(f"/v2/webhooks/{disabled['id']}", json={"enabled": False}, headers=wh_org.headers)
    assert wh_client.delete(f"/v2/webhooks/{deleted['id']}", headers=wh_org.headers).status_code == 204
    for hook in (disabled, deleted):
        make_due(wh_settings.database_url, hook["id"])
    drain(wh_settings)
    assert len(receiver.requests) == 2
    [off] = deliveries_of(wh_settings.database_url, disabled["id"])
    # The deleted one's queue died with it and let go of its id (which SQLite may give a new webhook).
    assert deliveries_of(wh_settings.database_url, deleted["id"]) == []
    [gone] = fetch_rows(wh_settings.database_url, "SELECT * FROM deliveries WHERE id = :id", {"id": queued["id"]})
    assert off["state"] == "dead" and "disabled" in off["last_error"]
    assert gone["state"] == "dead" and "deleted" in gone["last_error"]


def test_a_private_address_is_refused_at_send_time(wh_client: TestClient, wh_settings: Settings, wh_org: OrgHandle,
                                                   wh_project: dict, receiver: Receiver) -> None:
    hook = create_webhook(wh_client, wh_org, receiver.url)  # registered while private receivers were allowed
    create_issue(wh_client, wh_org, wh_project)
    drain(replace(wh_settings, outbound_allow_private=False))
    assert receiver.requests == []
    [row] = deliveries_of(wh_settings.database_url, hook["id"])
    assert row["state"] == "dead" and row["attempts"] == 1 and "not a public address" in row["last_error"]


def test_a_redirect_to_a_private_address_is_refused(wh_client: TestClient, wh_settings: Settings,
                                                    wh_org: OrgHandle, wh_project: dict, receiver: Receiver) -> None:
    """The receiver (127.0.0.1, allowed here) redirects to 127.0.0.2, which the policy refuses:
    the hop is refused where its socket would open, and the delivery is dead at once."""
    receiver.statuses = [302]
    receiver.extra_headers = {"Location": receiver.url.replace("127.0.0.1", "127.0.0.2") + "/inside"}
    hook = create_webhook(wh_client, wh_org, receiver.url)
    create_issue(wh_client, wh_org, wh_project)

    async def run() -> None:
        database = Database(wh_settings)
        handlers = HandlerRegistry()
        handlers.register(WebhookFanOut(database, wh_settings), DomainEvent)
        senders = SenderRegistry()
        sender = WebhookSender(database, wh_settings,
                               client=outbound_client(policy=lambda address: str(address) == "127.0.0.1"))
        senders.register(Channel.WEBHOOK, sender)
        try:
            await Pipeline(database, handlers, senders, RetryPolicy(max_attempts=3)).drain()
        finally:
            await sender.aclose()
            await database.dispose()

    asyncio.run(run())
    assert [r.path for r in receiver.requests] == ["/"]  # the first hop only
    [row] = deliveries_of(wh_settings.database_url, hook["id"])
    assert row["state"] == "dead" and "127.0.0.2" in row["last_error"]


def test_a_name_that_does_not_resolve_is_a_failed_attempt_to_retry(wh_client: TestClient, wh_settings: Settings,
                                                                    wh_org: OrgHandle, wh_project: dict) -> None:
    hook = create_webhook(wh_client, wh_org, "http://no-such-host.invalid/hook")
    create_issue(wh_client, wh_org, wh_project)
    drain(wh_settings)
    [row] = deliveries_of(wh_settings.database_url, hook["id"])
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert "cannot resolve no-such-host.invalid" in row["last_error"]
