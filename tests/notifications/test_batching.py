"""Batching through the real worker: changes within the window coalesce per recipient, channel
and issue; a batch being sent is closed; the same event fanned out twice adds nothing; mentions
are sent at once; digests gather several issues until the period ends; the hourly cap ends in one
overflow summary; and a storm of 500 edits makes one delivery per watcher and channel."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.events.models import OutboxEvent
from tessera.events.outbox import emit
from tessera.events.types import IssueUpdated
from tessera.notifications.batching import BatchPolicy, digest_due
from tessera.notifications.channels import InboxDirectory
from tessera.notifications.fanout import NotificationFanout
from tessera.notifications.models import NotifiedEvent
from tests.factories.http import ok
from tests.notifications.conftest import EmailBook, Team, deliveries, drain, edit, inbox_rows, make_team
from tests.support import fetch_rows

WINDOW = 2.0


def _fresh(api: TestClient, url: str, settings: Settings) -> Team:
    team = make_team(api, url)
    drain(settings)
    return team


def _ids(url: str, team: Team) -> set[int]:
    return {row["id"] for row in deliveries(url, team.all_ids())}


def _as_utc(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def test_changes_within_the_window_make_one_message_listing_them_all(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    before = _ids(notify_url, team)
    had = len(inbox_rows(notify_url, team.reporter.user_id))  # of the issue's creation
    for who in (team.watcher, team.bystander, team.org):
        edit(api, team, who)
    drain(notify_settings, window=WINDOW)
    new = [row for row in deliveries(notify_url, team.all_ids()) if row["id"] not in before]
    assert sorted(row["target_id"] for row in new) == sorted(
        [team.reporter.user_id, team.assignee.user_id, team.watcher.user_id])
    assert all(row["state"] == "pending" for row in new)
    changes = {row["target_id"]: len(row["payload"]["changes"]) for row in new}
    assert changes == {team.reporter.user_id: 3, team.assignee.user_id: 3, team.watcher.user_id: 2}
    assert len(inbox_rows(notify_url, team.reporter.user_id)) == had
    time.sleep(WINDOW)
    drain(notify_settings, window=WINDOW)
    entries = inbox_rows(notify_url, team.reporter.user_id)[had:]
    assert len(entries) == 1 and len(entries[0]["changes"]) == 3
    assert {c["actor_id"] for c in entries[0]["changes"]} == {team.watcher.user_id, team.bystander.user_id,
                                                              team.org.admin_user_id}


def test_a_batch_being_sent_is_closed_and_a_new_change_opens_another(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    before = _ids(notify_url, team)
    edit(api, team, team.org)
    drain(notify_settings, window=60)
    first = [row for row in deliveries(notify_url, [team.reporter.user_id]) if row["id"] not in before]
    assert len(first) == 1
    asyncio.run(_set_state(notify_settings, first[0]["id"], "sending"))
    edit(api, team, team.org)
    drain(notify_settings, window=60)
    mine = [row for row in deliveries(notify_url, [team.reporter.user_id]) if row["id"] not in before]
    assert len(mine) == 2 and [len(row["payload"]["changes"]) for row in mine] == [1, 1]


def test_the_same_event_fanned_out_again_adds_nothing(api: TestClient, notify_url: str,
                                                      notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    before = _ids(notify_url, team)
    edit(api, team, team.org)
    asyncio.run(_fan_out_twice(notify_settings, team))
    new = [row for row in deliveries(notify_url, team.all_ids()) if row["id"] not in before]
    assert sorted(row["target_id"] for row in new) == sorted(
        [team.reporter.user_id, team.assignee.user_id, team.watcher.user_id])
    assert all(len(row["payload"]["changes"]) == 1 for row in new)


def test_a_mention_is_sent_at_once_even_inside_a_window(api: TestClient, notify_url: str,
                                                        notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    ok(api.post(f"/v2/issues/{team.issue['id']}/comments",
                json={"body": f"look [~accountid:{team.bystander.user_id}]"}, headers=team.org.headers), 201)
    drain(notify_settings, window=600)
    entries = inbox_rows(notify_url, team.bystander.user_id)  # a bystander: nothing before
    assert len(entries) == 1 and entries[0]["event"] == "user_mentioned"
    waiting = deliveries(notify_url, [team.reporter.user_id])
    assert waiting[-1]["state"] == "pending" and waiting[-1]["payload"]["changes"][0]["event_type"] == "comment_added"


def test_a_digest_gathers_changes_to_several_issues_until_the_hour_ends(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    other = ok(api.post("/v2/issues", json={"project_id": team.project["id"], "issue_type": "Task",
                                            "summary": "Second", "reporter_id": team.reporter.user_id},
                        headers=team.org.headers), 201)
    ok(api.put("/v2/notifications/preferences", json={"digest": {"email": "hourly"}}, headers=team.reporter.headers))
    drain(notify_settings)
    started = utcnow()
    edit(api, team, team.org)
    ok(api.put(f"/v2/issues/{other['id']}", json={"summary": "Second, edited"}, headers=team.org.headers))
    drain(notify_settings, window=WINDOW, directories=[EmailBook()])
    digests = [row for row in deliveries(notify_url, [team.reporter.user_id], "email")]
    assert len(digests) == 1
    digest = digests[0]
    assert digest["batch_key"] == f"n:{team.reporter.user_id}:email:digest"
    assert digest["payload"]["kind"] == "digest" and digest["payload"]["issue_id"] is None
    assert {c["issue_key"] for c in digest["payload"]["changes"]} == {team.issue["key"], other["key"]}
    due = _as_utc(digest["next_attempt_at"])
    assert due == digest_due("hourly", started, "UTC") or due == digest_due("hourly", utcnow(), "UTC")
    assert due.minute == 0 and due.second == 0
    # The inbox is not part of the digest: it batches as usual.
    assert len([r for r in deliveries(notify_url, [team.reporter.user_id], "inbox")
                if _as_utc(r["created_at"]) >= started]) == 2


def test_digest_periods_end_on_the_hour_and_at_local_midnight() -> None:
    at = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
    assert digest_due("hourly", at, "UTC") == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    assert digest_due("daily", at, "UTC") == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    # 22:30 UTC is 07:30 in Tokyo: its next midnight is 15:00 UTC that day.
    assert digest_due("daily", at, "Asia/Tokyo") == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert digest_due("daily", at, "Not/AZone") == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def test_the_hourly_cap_ends_in_one_overflow_summary(api: TestClient, notify_url: str,
                                                     notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    ok(api.put("/v2/notifications/preferences", json={"channels": {"inbox": False}}, headers=team.assignee.headers))
    ok(api.put("/v2/notifications/preferences", json={"channels": {"inbox": False}}, headers=team.watcher.headers))
    previous = len(deliveries(notify_url, [team.reporter.user_id]))
    had = len(inbox_rows(notify_url, team.reporter.user_id))
    for _ in range(6):
        edit(api, team, team.org)
    drain(notify_settings, window=0, cap=previous + 3)
    rows = deliveries(notify_url, [team.reporter.user_id])[previous:]
    kinds = [row["payload"]["kind"] for row in rows]
    assert kinds == ["issue", "issue", "issue", "overflow"]
    overflow = rows[-1]
    assert overflow["state"] == "pending" and len(overflow["payload"]["changes"]) == 3
    assert overflow["batch_key"] == f"n:{team.reporter.user_id}:inbox:overflow"
    assert _as_utc(overflow["next_attempt_at"]) > utcnow() + timedelta(minutes=55)
    assert len(inbox_rows(notify_url, team.reporter.user_id)) == had + 3


def test_a_storm_of_500_edits_makes_one_delivery_per_watcher_and_channel(
        api: TestClient, notify_url: str, notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    before = _ids(notify_url, team)
    asyncio.run(_storm(notify_settings, team, 500))
    started = time.perf_counter()
    drain(notify_settings, window=60, directories=[EmailBook()])
    elapsed = time.perf_counter() - started
    new = [row for row in deliveries(notify_url, team.all_ids()) if row["id"] not in before]
    pairs = sorted((row["target_id"], row["channel"]) for row in new)
    watchers = [team.reporter.user_id, team.assignee.user_id, team.watcher.user_id]
    assert pairs == sorted((u, c) for u in watchers for c in ("inbox", "email"))
    for row in new:
        listed = len(row["payload"]["changes"])
        assert listed == 50 and listed + row["payload"]["omitted"] == 500
    processed = fetch_rows(notify_url, "SELECT count(*) AS n FROM notified_events WHERE organization_id = :o",
                           {"o": team.org.organization_id})[0]["n"]
    assert processed >= 500
    print(f"storm: 500 events fanned out to 3 watchers x 2 channels in {elapsed:.2f}s -> {len(new)} deliveries")


async def _set_state(settings: Settings, delivery_id: int, state: str) -> None:
    from sqlalchemy import update

    from tessera.delivery.models import Delivery

    database = Database(settings)
    try:
        async with database.unit_of_work() as session:
            await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(state=state))
    finally:
        await database.dispose()


async def _fan_out_twice(settings: Settings, team: Team) -> None:
    """The handler given the same event again (a worker died before settling it), then once more
    with its NotifiedEvent row gone: the batch already lists the event, so nothing is added."""
    database = Database(settings)
    try:
        fanout = NotificationFanout(database, [InboxDirectory()], BatchPolicy(window_seconds=60))
        async with database.unit_of_work(write=False) as session:
            event = (await session.scalars(select(OutboxEvent).where(
                OutboxEvent.organization_id == team.org.organization_id, OutboxEvent.event_type == "issue_updated")
                .order_by(OutboxEvent.id.desc()).limit(1))).one()
        await fanout(event)
        await fanout(event)
        async with database.unit_of_work() as session:
            await session.execute(delete(NotifiedEvent).where(NotifiedEvent.event_id == event.id))
        await fanout(event)
        async with database.unit_of_work() as session:  # settle it, so the next drain leaves it alone
            event_row = await session.get(OutboxEvent, event.id)
            assert event_row is not None
            event_row.processed_at = utcnow()
    finally:
        await database.dispose()


async def _storm(settings: Settings, team: Team, count: int) -> None:
    database = Database(settings)
    issue = team.issue
    actors = [team.bystander.user_id, team.org.admin_user_id]
    try:
        async with database.unit_of_work() as session:
            for number in range(count):
                actor = actors[number % 2]
                await emit(session, IssueUpdated(
                    issue_id=issue["id"], issue_key=issue["key"], project_id=team.project["id"],
                    field_changes={"summary": {"from": f"s{number}", "to": f"s{number + 1}"}}, user_id=actor,
                    timestamp=utcnow().isoformat(), issue_version=number + 2),
                    organization_id=team.org.organization_id, aggregate_id=issue["id"], actor_id=actor)
    finally:
        await database.dispose()


def test_two_workers_fanning_out_one_issue_at_once_open_one_batch(api: TestClient, notify_url: str,
                                                                   notify_settings: Settings) -> None:
    team = _fresh(api, notify_url, notify_settings)
    before = _ids(notify_url, team)
    asyncio.run(_storm(notify_settings, team, 2))
    asyncio.run(_two_workers(notify_settings, team))
    new = [row for row in deliveries(notify_url, team.all_ids()) if row["id"] not in before]
    assert sorted(row["target_id"] for row in new) == sorted(
        [team.reporter.user_id, team.assignee.user_id, team.watcher.user_id])
    assert all(len(row["payload"]["changes"]) == 2 for row in new)


async def _two_workers(settings: Settings, team: Team, *, directories: list | None = None) -> None:
    """Both events handed to two handlers (two connections) at the same moment. On PostgreSQL,
    without the per-recipient advisory lock this opens two batches per recipient (checked by hand)."""
    databases = [Database(settings), Database(settings)]
    try:
        async with databases[0].unit_of_work(write=False) as session:
            events = (await session.scalars(select(OutboxEvent).where(
                OutboxEvent.organization_id == team.org.organization_id, OutboxEvent.event_type == "issue_updated",
                OutboxEvent.processed_at.is_(None)).order_by(OutboxEvent.id))).all()
        assert len(events) == 2
        for database in databases:  # connected already, so that neither starts late
            async with database.unit_of_work(write=False) as session:
                await session.execute(select(1))
        fanouts = [NotificationFanout(database, directories or [InboxDirectory()], BatchPolicy(window_seconds=60))
                   for database in databases]
        await asyncio.gather(fanouts[0](events[0]), fanouts[1](events[1]))
        async with databases[0].unit_of_work() as session:
            for event in events:
                row = await session.get(OutboxEvent, event.id)
                assert row is not None
                row.processed_at = utcnow()
    finally:
        for database in databases:
            await database.dispose()


def test_two_workers_fanning_out_two_issues_at_once_open_one_digest(api: TestClient, notify_url: str,
                                                                    notify_settings: Settings) -> None:
    """The digest is the recipient's, not the issue's: two workers each fanning out an edit of
    a different issue at the same moment must not both open one (the per-recipient lock)."""
    team = _fresh(api, notify_url, notify_settings)
    other = ok(api.post("/v2/issues", json={"project_id": team.project["id"], "issue_type": "Task",
                                            "summary": "Second", "reporter_id": team.reporter.user_id},
                        headers=team.org.headers), 201)
    ok(api.put("/v2/notifications/preferences", json={"digest": {"email": "daily"}}, headers=team.reporter.headers))
    drain(notify_settings)
    before = _ids(notify_url, team)
    edit(api, team, team.org)
    ok(api.put(f"/v2/issues/{other['id']}", json={"summary": "Second, edited"}, headers=team.org.headers))
    asyncio.run(_two_workers(notify_settings, team, directories=[EmailBook()]))
    digests = [row for row in deliveries(notify_url, [team.reporter.user_id], "email") if row["id"] not in before]
    assert len(digests) == 1
    assert {c["issue_key"] for c in digests[0]["payload"]["changes"]} == {team.issue["key"], other["key"]}


def test_one_batch_of_events_fans_out_as_one_handler_call_would_each(api: TestClient, notify_url: str,
                                                                     notify_settings: Settings) -> None:
    """The worker hands the fan-out its whole claimed batch: 20 edits of two issues, by two
    people, become the same deliveries as one event at a time would make."""
    team = _fresh(api, notify_url, notify_settings)
    before = _ids(notify_url, team)
    asyncio.run(_storm(notify_settings, team, 20))
    drain(notify_settings, window=600)
    new = [row for row in deliveries(notify_url, team.all_ids()) if row["id"] not in before]
    # Reporter, assignee and watcher each get one inbox batch listing all 20 changes, except
    # the changes they made themselves (the bystander's own edits reach nobody but others).
    assert sorted(row["target_id"] for row in new) == sorted(
        [team.reporter.user_id, team.assignee.user_id, team.watcher.user_id])
    assert all(len(row["payload"]["changes"]) == 20 for row in new)
