"""Notifications as the fan-out hands them to the channels: an issue with real history (created,
edited, moved, commented) through the API, its outbox events read back as the payload's
`changes`, and deliveries enqueued with the engine and held as a worker holds them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.engine import ClaimedDelivery, NewDelivery, enqueue
from tessera.delivery.models import Channel, Delivery
from tessera.events.models import OutboxEvent
from tessera.issues.views import iso
from tests.factories.http import ok
from tests.support import OrgHandle, UserHandle


def busy_issue(client: TestClient, org: OrgHandle, project: dict, assignee: UserHandle, *,
               summary: str = "Checkout fails on Safari") -> dict:
    """Created, assigned and renamed, moved to In Progress, and commented (Markdown and a mention)."""
    issue = ok(client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Bug",
                                               "summary": summary}, headers=org.headers), 201)
    ok(client.put(f"/v2/issues/{issue['id']}", json={"assignee_id": assignee.user_id,
                                                     "summary": f"{summary} <script>"}, headers=org.headers))
    ok(client.post(f"/v2/issues/{issue['id']}/transitions/21", json={}, headers=org.headers))
    ok(client.post(f"/v2/issues/{issue['id']}/comments", json={
        "body": f"Found it: **the cart** & `cookie`, see [~accountid:{assignee.user_id}] <b>now</b>"},
        headers=org.headers), 201)
    return ok(client.get(f"/v2/issues/{issue['id']}", headers=org.headers))


async def issue_changes(database: Database, organization_id: int, issue_id: int) -> list[dict[str, Any]]:
    """The issue's outbox events as a notification payload's changes, oldest first."""
    async with database.unit_of_work(write=False) as session:
        rows = (await session.scalars(select(OutboxEvent).where(
            OutboxEvent.organization_id == organization_id, OutboxEvent.aggregate_type == "issue",
            OutboxEvent.aggregate_id == issue_id).order_by(OutboxEvent.id))).all()
    return [{"event_id": row.id, "event_type": row.event_type, "actor_id": row.actor_id,
             "at": iso(row.created_at), "payload": row.payload} for row in rows]


def notification_payload(recipient_id: int | None, changes: list[dict[str, Any]], *, kind: str = "issue",
                         issue: dict | None = None) -> dict[str, Any]:
    return {"kind": kind, "recipient_id": recipient_id, "issue_id": issue["id"] if issue else None,
            "issue_key": issue["key"] if issue else None, "changes": changes}


async def claimed(database: Database, new: NewDelivery) -> ClaimedDelivery:
    """Enqueue `new` and hold it as a worker's claim would (first attempt)."""
    async with database.unit_of_work() as session:
        await enqueue(session, [new])
        row = await session.scalar(select(Delivery).where(Delivery.idempotency_key == new.idempotency_key))
        assert row is not None
    return ClaimedDelivery(id=row.id, organization_id=row.organization_id, channel=row.channel, event_id=row.event_id,
                           event_type=row.event_type, target_id=row.target_id, target=row.target,
                           idempotency_key=row.idempotency_key, payload=row.payload, attempts=1,
                           created_at=row.created_at)


def delivery(organization_id: int, channel: Channel, target: str, payload: dict[str, Any], key: str,
             *, target_id: int | None = None) -> NewDelivery:
    return NewDelivery(organization_id=organization_id, channel=channel, target=target, idempotency_key=key,
                       payload=payload, event_type="issue_updated", target_id=target_id)


def database_for(settings: Settings) -> Database:
    return Database(settings)
