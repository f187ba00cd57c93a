"""The notifications' outbox handler: events become changes added to deliveries, per recipient
and channel. A batch of events is fanned out in one transaction, together with the events'
NotifiedEvent rows, so a worker that dies and runs the events again adds nothing twice; what
the events share (their issues, the watchers, role and group members, who each channel
reaches) is read once per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.db.insert_ignoring import insert_ignoring
from tessera.events.models import OutboxEvent
from tessera.events.types import IssueDeleted, IssueNotified, WebhookDisabled
from tessera.issues.models import Issue
from tessera.notifications.batching import Addressee, BatchPolicy, ChangeNote, add_changes, lock_recipients
from tessera.notifications.channels import CUSTOMER_CHANNELS, ChannelDirectory
from tessera.notifications.kinds import URGENT_KINDS, kind_of, named_for
from tessera.notifications.models import NotifiedEvent
from tessera.notifications.preferences import Preferences, preferences_from, preferences_of
from tessera.notifications.recipients import (
    DeletedIssue,
    Lookups,
    Recipient,
    active_user,
    candidates,
    load_issues,
    load_projects,
    permitted,
)
from tessera.projects.models import Project

# What a deleted issue's snapshot holds for the fan-out only: the change its recipients get
# leaves these out.
_SNAPSHOT_ONLY = ("watcher_ids", "component_ids")


async def claim_events(session: AsyncSession, events: Sequence[OutboxEvent]) -> list[OutboxEvent]:
    """The events no earlier run fanned out (and committed), in their order, in one statement."""
    if not events:
        return []
    connection = await session.connection()
    table = NotifiedEvent.__table__
    now = utcnow()
    result = await connection.execute(
        insert_ignoring(connection.dialect.name, table).returning(table.c.event_id),
        [{"event_id": event.id, "organization_id": event.organization_id, "created_at": now} for event in events])
    fresh = {row[0] for row in result.all()}
    return [event for event in events if event.id in fresh]


@dataclass(frozen=True, slots=True)
class _Change:
    note: ChangeNote
    addressees: list[Addressee]


class _Batch:
    """One transaction's fan-out: who hears of each event, with the reads shared."""

    def __init__(self, session: AsyncSession, directories: Sequence[ChannelDirectory]) -> None:
        self.session = session
        self.directories = directories
        self.lookups: dict[int, Lookups] = {}
        self.issues: dict[int, dict] = {}
        self.projects: dict[int, dict] = {}  # of the deleted issues, whose rows are gone
        self.own_changes: dict[tuple[int, int], Preferences] = {}
        self.reach: dict[tuple[str, int, int], str | None] = {}

    def _lookups(self, organization_id: int) -> Lookups:
        return self.lookups.setdefault(organization_id, Lookups(self.session, organization_id))

    async def load(self, events: Sequence[OutboxEvent]) -> None:
        """The batch's issues with their projects and schemes, and their watchers, per organization;
        the projects and schemes of its deleted issues."""
        wanted: dict[int, set[int]] = {}
        projects: dict[int, set[int]] = {}
        for event in events:
            if event.event_class is IssueDeleted:
                projects.setdefault(event.organization_id, set()).add(int(event.payload["project_id"]))
            elif event.event_class is not WebhookDisabled:
                wanted.setdefault(event.organization_id, set()).add(int(event.payload["issue_id"]))
        for organization_id, project_ids in projects.items():
            self.projects[organization_id] = await load_projects(self.session, organization_id=organization_id,
                                                                 project_ids=project_ids)
        for organization_id, issue_ids in wanted.items():
            self.issues[organization_id] = await load_issues(self.session, organization_id=organization_id,
                                                             issue_ids=issue_ids)
            loaded = self.issues[organization_id].values()
            await self._lookups(organization_id).watch(
                [issue.id for issue, _, _ in loaded] + [issue.parent_id for issue, _, _ in loaded])

    async def _only_the_actor(self, organization_id: int, actor_id: int | None, named: set[int]) -> bool:
        """True when the rules name nobody but the actor, who does not want their own changes:
        nobody hears of this event, and the permission query is not needed to know it."""
        if actor_id is None or not named <= {actor_id}:
            return False
        if (organization_id, actor_id) not in self.own_changes:
            found = await preferences_of(self.session, organization_id=organization_id, user_ids=[actor_id])
            self.own_changes[organization_id, actor_id] = found[actor_id]
        return not self.own_changes[organization_id, actor_id].own_changes

    def _about(self, event: OutboxEvent) -> tuple[Issue | DeletedIssue, Project, dict] | None:
        """The issue the event is about with its project and rules; a deleted issue as its event
        snapshot it. None when there is nothing to tell: the issue deleted since (nobody may
        browse it any more), a deletion without a snapshot, or its project gone too."""
        organization_id = event.organization_id
        if event.event_class is not IssueDeleted:
            return self.issues.get(organization_id, {}).get(int(event.payload["issue_id"]))
        gone = DeletedIssue.of(organization_id, IssueDeleted.from_payload(event.payload))
        in_project = self.projects.get(organization_id, {}).get(int(event.payload["project_id"]))
        if gone is None or in_project is None:
            return None
        return gone, *in_project

    async def change(self, event: OutboxEvent) -> _Change | None:
        payload = dict(event.payload)
        kind = kind_of(event.event_type, payload)
        actor_id = event.actor_id if event.actor_id is not None else payload.get("user_id")
        organization_id = event.organization_id
        issue_id: int | None = None
        issue_key: str | None = None
        recipients: list[Recipient]
        chosen = event.event_class is IssueNotified  # its sender named the recipients (themselves too)
        if event.event_class is WebhookDisabled:
            recipients = await active_user(self.session, organization_id=organization_id,
                                           user_id=payload.get("owner_id"))
            actor_id = None  # the system did it: the owner hears of it whatever their "own changes"
        else:
            about = self._about(event)
            if about is None:
                return None
            issue, project, scheme = about
            issue_id, issue_key = issue.id, issue.key
            if isinstance(issue, DeletedIssue):
                payload = {key: value for key, value in payload.items() if key not in _SNAPSHOT_ONLY}
            if chosen:
                named = {int(user_id) for user_id in payload.get("recipient_ids") or ()}
            else:
                named = await candidates(self._lookups(organization_id), named_for(kind, scheme) or [], issue=issue,
                                         project=project, actor_id=actor_id, payload=payload)
            if not named or (not chosen and await self._only_the_actor(organization_id, actor_id, named)):
                return None
            recipients = await permitted(self.session, named, issue=issue, project=project, payload=payload)
        preferences = {r.user_id: preferences_from(r.preferences) for r in recipients}
        recipients = [r for r in recipients if r.user_id != actor_id or chosen or preferences[r.user_id].own_changes]
        if not recipients:
            return None
        note = ChangeNote(event_id=event.id, event_type=event.event_type, kind=kind, actor_id=actor_id,
                          at=event.created_at, payload=payload, issue_id=issue_id, issue_key=issue_key,
                          urgent=kind in URGENT_KINDS)
        addressees: list[Addressee] = []
        for directory in self.directories:
            channel = directory.channel
            wanting = [r for r in recipients if preferences[r.user_id].wants(channel, kind)
                       and (not r.customer or channel in CUSTOMER_CHANNELS)]
            if not wanting:
                continue
            targets = await self._reachable(directory, organization_id, [r.user_id for r in wanting])
            addressees += [Addressee(organization_id=organization_id, user_id=r.user_id, channel=channel,
                                     target=target, time_zone=r.time_zone,
                                     digest=preferences[r.user_id].digest(channel))
                           for r in wanting if (target := targets.get(r.user_id)) is not None]
        return _Change(note, addressees) if addressees else None

    async def _reachable(self, directory: ChannelDirectory, organization_id: int,
                         user_ids: list[int]) -> dict[int, str]:
        channel = str(directory.channel)
        unknown = [u for u in user_ids if (channel, organization_id, u) not in self.reach]
        if unknown:
            found = await directory.reachable(self.session, organization_id, unknown)
            self.reach.update({(channel, organization_id, u): found.get(u) for u in unknown})
        return {u: target for u in user_ids if (target := self.reach[channel, organization_id, u]) is not None}


async def fan_out(session: AsyncSession, events: Sequence[OutboxEvent], directories: Sequence[ChannelDirectory],
                  policy: BatchPolicy) -> int:
    """Add each event's change to its recipients' deliveries, in the events' order; returns how
    many (recipient, channel) pairs they reached. Every recipient's batches are locked before
    any is touched (lock_recipients), so concurrent workers' fan-outs neither race nor deadlock."""
    batch = _Batch(session, directories)
    await batch.load(events)
    changes = [change for event in events if (change := await batch.change(event)) is not None]
    await lock_recipients(session, {to.user_id for change in changes for to in change.addressees})
    for change in changes:
        await add_changes(session, change.addressees, change.note, policy)
    return sum(len(change.addressees) for change in changes)


class NotificationFanout:
    """The outbox handler (a tessera.workers.runner.BatchHandler) of the notification events."""

    def __init__(self, database: Database, directories: Sequence[ChannelDirectory], policy: BatchPolicy) -> None:
        self.database = database
        self.directories = list(directories)
        self.policy = policy

    async def __call__(self, event: OutboxEvent) -> None:
        await self.handle_batch([event])

    async def handle_batch(self, events: Sequence[OutboxEvent]) -> None:
        async with self.database.unit_of_work() as session:
            fresh = await claim_events(session, events)
            if fresh:
                await fan_out(session, fresh, self.directories, self.policy)
