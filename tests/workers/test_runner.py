"""The outbox runner on a real database of its own, on SQLite and PostgreSQL: handlers subscribe
by event class (a base class takes its subclasses' events); a run claims pending events oldest
first, hands each to its class's handlers, marks what succeeded processed, and leaves a failed event leased for a retry after a backoff that
grows with its attempts; a lease that runs out makes an event claimable again, and two
workers never settle one event twice.

The database is this module's own (not the session's shared one): the runner claims every
pending event of every organization, and the shared database holds the other tests' events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from tessera.config import Settings
from tessera.db.base import utcnow
from tessera.db.engine import Database
from tessera.events.models import OutboxEvent
from tessera.events.outbox import claim_batch, emit
from tessera.events.types import (
    CommentAdded,
    DomainEvent,
    IssueCreated,
    IssueEvent,
    TokenRevoked,
    WorkflowEventFired,
)
from tessera.workers.runner import HandlerRegistry, run_forever, run_once
from tests.conftest import BACKENDS
from tests.support import fresh_database

ORGANIZATION = 4242


@pytest.fixture(scope="module", params=BACKENDS)
def worker_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                        postgres_skip_reason: str | None) -> Iterator[str]:
    with fresh_database(request.param, str(tmp_path_factory.mktemp("worker")), postgres_skip_reason) as url:
        yield url


@pytest.fixture
async def database(worker_database_url: str) -> AsyncIterator[Database]:
    """The worker's database with no pending event left over from the test before."""
    database = Database(Settings(database_url=worker_database_url))
    async with database.unit_of_work() as session:
        await session.execute(update(OutboxEvent).where(OutboxEvent.processed_at.is_(None))
                              .values(processed_at=utcnow(), claimed_until=None))
    yield database
    await database.dispose()


async def add_events(database: Database, *event_types: str) -> list[int]:
    """Pending outbox rows as the services store them, in one committed transaction."""
    table = OutboxEvent.__table__
    ids = []
    async with database.unit_of_work() as session:
        connection = await session.connection()
        for number, event_type in enumerate(event_types, start=1):
            ids.append((await connection.execute(insert(table).returning(table.c.id), dict(
                organization_id=ORGANIZATION, event_type=event_type, aggregate_type="issue",
                aggregate_id=number, actor_id=None, payload={"issue_id": number}, created_at=utcnow(),
                attempts=0))).scalar_one())
    return ids


async def rows(database: Database, ids: list[int]) -> list[OutboxEvent]:
    async with database.unit_of_work(write=False) as session:
        return list((await session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids))
                                           .order_by(OutboxEvent.id))).all())


async def expire_leases(database: Database, ids: list[int]) -> None:
    """What the passing of time does to a lease: it ends."""
    async with database.unit_of_work() as session:
        await session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids))
                              .values(claimed_until=utcnow() - timedelta(seconds=1)))


class Recorder:
    """A handler that records the events it was given, failing for the ids in `failing`."""

    def __init__(self, failing: set[int] | None = None) -> None:
        self.seen: list[tuple[int, str]] = []
        self.failing = failing or set()

    async def __call__(self, event: OutboxEvent) -> None:
        self.seen.append((event.id, event.event_type))
        if event.id in self.failing:
            raise RuntimeError(f"cannot handle {event.id}")


def registry_with(handlers: dict[type[DomainEvent], Recorder]) -> HandlerRegistry:
    registry = HandlerRegistry()
    for event_class, handler in handlers.items():
        registry.register(handler, event_class)
    return registry


def seconds_between(later: datetime | None, earlier: datetime) -> float:
    assert later is not None
    return (later - earlier).total_seconds()


async def test_each_event_goes_to_its_class_handlers_and_is_marked_processed(database: Database) -> None:
    created, updated, other = await add_events(database, "issue_created", "issue_updated", "comment_added")
    on_created, on_any = Recorder(), Recorder()
    registry = registry_with({IssueCreated: on_created, DomainEvent: on_any})

    assert await run_once(database, registry) == 3
    assert on_created.seen == [(created, "issue_created")]
    assert on_any.seen == [(created, "issue_created"), (updated, "issue_updated"), (other, "comment_added")]
    for row in await rows(database, [created, updated, other]):
        assert row.processed_at is not None and row.claimed_until is None and row.last_error is None
        assert row.attempts == 1
    assert await run_once(database, registry) == 0
    assert len(on_any.seen) == 3


async def test_an_event_without_handlers_is_settled(database: Database) -> None:
    [lonely] = await add_events(database, "issue_deleted")
    assert await run_once(database, HandlerRegistry()) == 1
    [row] = await rows(database, [lonely])
    assert row.processed_at is not None


async def test_a_batch_takes_the_oldest_events_first(database: Database) -> None:
    ids = await add_events(database, "issue_created", "issue_created", "issue_created")
    recorder = Recorder()
    registry = registry_with({DomainEvent: recorder})
    assert await run_once(database, registry, batch_size=2) == 2
    assert [event_id for event_id, _ in recorder.seen] == ids[:2]
    assert await run_once(database, registry, batch_size=2) == 1
    assert [event_id for event_id, _ in recorder.seen] == ids


async def test_a_failed_event_is_retried_after_a_backoff_and_the_rest_are_processed(database: Database) -> None:
    good, bad, later = await add_events(database, "issue_created", "issue_updated", "issue_created")
    recorder = Recorder(failing={bad})
    registry = registry_with({DomainEvent: recorder})

    before = utcnow()
    assert await run_once(database, registry) == 2
    done_good, failed, done_later = await rows(database, [good, bad, later])
    assert done_good.processed_at is not None and done_later.processed_at is not None
    assert failed.processed_at is None and failed.attempts == 1
    assert failed.last_error == repr(RuntimeError(f"cannot handle {bad}"))
    # The first failure waits 2 ** attempts seconds (attempts counts this claim): 2 s.
    assert 1.5 <= seconds_between(failed.claimed_until, before) <= 2 + seconds_between(utcnow(), before)

    assert await run_once(database, registry) == 0  # still leased: not handed out again
    assert [event_id for event_id, _ in recorder.seen].count(bad) == 1

    recorder.failing.clear()
    await expire_leases(database, [bad])
    assert await run_once(database, registry) == 1
    [retried] = await rows(database, [bad])
    assert retried.processed_at is not None and retried.last_error is None and retried.attempts == 2
    assert [event_id for event_id, _ in recorder.seen].count(bad) == 2


async def test_the_backoff_grows_with_the_attempts_and_stops_at_an_hour(database: Database) -> None:
    [event_id] = await add_events(database, "issue_updated")
    registry = registry_with({IssueEvent: Recorder(failing={event_id})})
    waits = []
    for _ in range(4):
        before = utcnow()
        assert await run_once(database, registry) == 0
        [row] = await rows(database, [event_id])
        waits.append(round(seconds_between(row.claimed_until, before)))
        await expire_leases(database, [event_id])
    assert waits == [2, 4, 8, 16]
    async with database.unit_of_work() as session:
        await session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(attempts=40))
    before = utcnow()
    assert await run_once(database, registry) == 0
    [row] = await rows(database, [event_id])
    assert round(seconds_between(row.claimed_until, before)) == 3600 and row.attempts == 41


async def test_a_lease_that_runs_out_makes_an_event_claimable_again(database: Database) -> None:
    """A worker that claimed and then died: its events wait for the lease, then go to another."""
    [event_id] = await add_events(database, "issue_created")
    async with database.unit_of_work() as session:
        assert [event.id for event in await claim_batch(session, limit=10)] == [event_id]
    recorder = Recorder()
    registry = registry_with({DomainEvent: recorder})
    assert await run_once(database, registry) == 0 and recorder.seen == []
    await expire_leases(database, [event_id])
    assert await run_once(database, registry) == 1
    [row] = await rows(database, [event_id])
    assert row.processed_at is not None and row.attempts == 2 and recorder.seen == [(event_id, "issue_created")]


async def test_two_workers_never_handle_one_event_twice(database: Database, worker_database_url: str) -> None:
    ids = await add_events(database, *["issue_updated"] * 40)
    other = Database(Settings(database_url=worker_database_url))
    first, second = Recorder(), Recorder()
    try:
        settled = await asyncio.gather(
            *[run_once(database, registry_with({DomainEvent: first}), batch_size=5) for _ in range(4)],
            *[run_once(other, registry_with({DomainEvent: second}), batch_size=5) for _ in range(4)])
    finally:
        await other.dispose()
    handled = [event_id for event_id, _ in first.seen + second.seen]
    assert sum(settled) == len(handled) == 40 and sorted(handled) == ids


async def test_run_forever_settles_what_arrives_until_stopped(database: Database) -> None:
    recorder = Recorder()
    stop = asyncio.Event()
    worker = asyncio.create_task(run_forever(database, registry_with({DomainEvent: recorder}), stop, idle_seconds=0.05))
    try:
        ids = await add_events(database, "issue_created", "comment_added")
        for _ in range(200):
            if len(recorder.seen) == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=10)
    assert [event_id for event_id, _ in recorder.seen] == ids
    assert all(row.processed_at is not None for row in await rows(database, ids))


async def _first(event: OutboxEvent) -> None:
    pass


async def _second(event: OutboxEvent) -> None:
    pass


def test_handlers_subscribe_by_class_and_base_classes_take_their_subclasses() -> None:
    registry = HandlerRegistry()
    registry.register(_first, IssueCreated, CommentAdded)
    registry.register(_second, IssueEvent)
    assert registry.for_class(IssueCreated) == [_first, _second]
    assert registry.for_class(WorkflowEventFired) == [_second]
    assert registry.for_class(TokenRevoked) == []
    registry.register(_first, DomainEvent)
    assert registry.for_class(TokenRevoked) == [_first]
    assert registry.for_class(CommentAdded) == [_first, _second]  # each handler once


def test_registration_refuses_names_repeats_and_nothing() -> None:
    registry = HandlerRegistry()
    registry.register(_first, IssueCreated)
    with pytest.raises(ValueError, match="IssueCreated"):
        registry.register(_first, IssueCreated)
    with pytest.raises(TypeError):
        registry.register(_second, "issue_created")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        registry.register(_second)


async def test_a_run_hands_each_event_to_its_class_handlers_and_settles_it(database: Database) -> None:
    seen: list[tuple[str, type[DomainEvent]]] = []

    async def record(event: OutboxEvent) -> None:
        seen.append((event.event_type, type(event.event)))

    registry = HandlerRegistry()
    registry.register(record, IssueEvent)
    async with database.unit_of_work() as session:
        await emit(session, IssueCreated(issue_id=1, issue_key="P-1", project_id=2, user_id=3, timestamp="t"),
                   organization_id=ORGANIZATION, aggregate_id=1, actor_id=3)
        await emit(session, TokenRevoked(user_id=3, token_id=4), organization_id=ORGANIZATION, aggregate_id=3, actor_id=3)
        await emit(session, WorkflowEventFired(event_name="went_left", issue_id=1, issue_key="P-1", project_id=2,
                                               user_id=3, timestamp="t", transition={"id": "2", "name": "Left"}),
                   organization_id=ORGANIZATION, aggregate_id=1, actor_id=3)
    assert await run_once(database, registry) == 3
    assert seen == [("issue_created", IssueCreated), ("went_left", WorkflowEventFired)]
    assert await run_once(database, registry) == 0


class BatchRecorder(Recorder):
    """A batch handler: records each batch it was given, failing a batch that holds an id in
    `failing` (and that event alone when given one at a time)."""

    def __init__(self, failing: set[int] | None = None) -> None:
        super().__init__(failing)
        self.batches: list[list[int]] = []

    async def handle_batch(self, events: Sequence[OutboxEvent]) -> None:
        self.batches.append([event.id for event in events])
        if self.failing & {event.id for event in events}:
            raise RuntimeError("cannot handle this batch")


async def test_a_batch_handler_gets_its_share_of_the_batch_at_once(database: Database) -> None:
    created, updated, other = await add_events(database, "issue_created", "issue_updated", "comment_added")
    on_issues, on_any = BatchRecorder(), Recorder()
    registry = registry_with({IssueEvent: on_issues, DomainEvent: on_any})

    assert await run_once(database, registry) == 3
    # comment_added is an IssueEvent too: all three, in the order they were written, in one call.
    assert on_issues.batches == [[created, updated, other]] and on_issues.seen == []
    assert [event_id for event_id, _ in on_any.seen] == [created, updated, other]


async def test_a_failed_batch_is_handled_one_event_at_a_time_and_only_the_bad_event_waits(
        database: Database) -> None:
    good, bad, also_good = await add_events(database, "issue_created", "issue_created", "issue_created")
    handler = BatchRecorder(failing={bad})
    started = utcnow()
    assert await run_once(database, registry_with({IssueCreated: handler})) == 2
    assert handler.batches == [[good, bad, also_good]]
    assert [event_id for event_id, _ in handler.seen] == [good, bad, also_good]
    settled, waiting, settled_too = await rows(database, [good, bad, also_good])
    assert settled.processed_at is not None and settled_too.processed_at is not None
    assert waiting.processed_at is None and "cannot handle" in (waiting.last_error or "")
    assert seconds_between(waiting.claimed_until, started) >= 1
