"""The notifications' outbox handler: one event becomes changes added to deliveries, per
recipient and channel. Everything for one event happens in one transaction, together with the
event's NotifiedEvent row, so a worker that dies and runs the event again adds nothing twice."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.db.insert_ignoring import insert_ignoring
from tessera.events.models import OutboxEvent
from tessera.events.types import WebhookDisabled
from tessera.notifications.batching import Addressee, BatchPolicy, ChangeNote, add_changes, lock_issue_batches
from tessera.notifications.channels import ChannelDirectory
from tessera.notifications.kinds import URGENT_KINDS, kind_of
from tessera.notifications.models import NotifiedEvent
from tessera.notifications.preferences import preferences_from
from tessera.notifications.recipients import Recipient, active_user, candidates, load_issue, permitted


async def claim_event(session: AsyncSession, event: OutboxEvent) -> bool:
    """True the first time; False when an earlier run already fanned this event out (and committed)."""
    connection = await session.connection()
    result = await connection.execute(insert_ignoring(connection.dialect.name, NotifiedEvent.__table__).values(
        event_id=event.id, organization_id=event.organization_id, created_at=utcnow()))
    return result.rowcount != 0


async def fan_out(session: AsyncSession, event: OutboxEvent, directories: Sequence[ChannelDirectory],
                  policy: BatchPolicy) -> int:
    """Add the event's change to each recipient's deliveries; returns how many (recipient,
    channel) pairs it reached."""
    payload = dict(event.payload)
    kind = kind_of(event.event_type, payload)
    actor_id = event.actor_id if event.actor_id is not None else payload.get("user_id")
    organization_id = event.organization_id
    issue_id: int | None = None
    issue_key: str | None = None
    recipients: list[Recipient]
    if event.event_class is WebhookDisabled:
        recipients = await active_user(session, organization_id=organization_id, user_id=payload.get("owner_id"))
        actor_id = None  # the system did it: the owner hears of it whatever their "own changes"
    else:
        loaded = await load_issue(session, organization_id=organization_id, issue_id=int(payload["issue_id"]))
        if loaded is None:
            return 0  # deleted since: nobody may browse it any more
        issue, project, scheme = loaded
        issue_id, issue_key = issue.id, issue.key
        named = await candidates(session, scheme.get(kind, []), issue=issue, project=project, actor_id=actor_id,
                                 payload=payload)
        recipients = await permitted(session, named, issue=issue, project=project, payload=payload)
        await lock_issue_batches(session, issue.id)
    preferences = {r.user_id: preferences_from(r.preferences) for r in recipients}
    recipients = [r for r in recipients if r.user_id != actor_id or preferences[r.user_id].own_changes]
    note = ChangeNote(event_id=event.id, event_type=event.event_type, kind=kind, actor_id=actor_id,
                      at=event.created_at, payload=payload, issue_id=issue_id, issue_key=issue_key,
                      urgent=kind in URGENT_KINDS)
    addressees: list[Addressee] = []
    for directory in directories:
        channel = directory.channel
        wanting = [r for r in recipients if preferences[r.user_id].wants(channel, kind)]
        if not wanting:
            continue
        targets = await directory.reachable(session, organization_id, [r.user_id for r in wanting])
        addressees += [Addressee(organization_id=organization_id, user_id=r.user_id, channel=channel,
                                 target=targets[r.user_id], time_zone=r.time_zone,
                                 digest=preferences[r.user_id].digest(channel))
                       for r in wanting if r.user_id in targets]
    # The open batches are read and locked in one query, in id order, as every worker does: no
    # two fan-outs wait on each other's rows in opposite orders.
    await add_changes(session, addressees, note, policy)
    return len(addressees)


class NotificationFanout:
    """The outbox handler (tessera.workers.runner.Handler) of the notification events."""

    def __init__(self, database: Database, directories: Sequence[ChannelDirectory], policy: BatchPolicy) -> None:
        self.database = database
        self.directories = list(directories)
        self.policy = policy

    async def __call__(self, event: OutboxEvent) -> None:
        async with self.database.unit_of_work() as session:
            if await claim_event(session, event):
                await fan_out(session, event, self.directories, self.policy)
