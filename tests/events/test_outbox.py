"""events.outbox on both backends: `emit` writes the typed event's row and hands the event to
the commit listeners; claimed rows give the same event back by class."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.events.models import OutboxEvent
from tessera.events.outbox import EmittedEvent, StatementEvents, claim_batch, emit, mark_failed, mark_processed
from tessera.events.types import IssueCreated, ProjectRolesChanged, WorkflowEventFired
from tests.conftest import BACKENDS
from tests.support import fresh_database

CREATED = IssueCreated(issue_id=41, issue_key="P-1", project_id=5, user_id=3, timestamp="2026-01-01T00:00:00+00:00")


@pytest.fixture(scope="module", params=BACKENDS)
def outbox_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               postgres_skip_reason: str | None) -> Iterator[str]:
    """A database of this module's own: claiming takes every pending row, other tests' too."""
    with fresh_database(request.param, str(tmp_path_factory.mktemp("outbox")), postgres_skip_reason) as url:
        yield url


@pytest.fixture
async def database(outbox_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=outbox_url))
    yield database
    await database.dispose()


async def test_emit_writes_the_row_and_hands_the_typed_event_to_commit_listeners(database: Database) -> None:
    committed: list[EmittedEvent] = []
    database.on_commit(committed.extend)
    async with database.unit_of_work() as session:
        event_id = await emit(session, CREATED, organization_id=9, aggregate_id=41, actor_id=3)
    async with database.unit_of_work(write=False) as session:
        row = await session.get(OutboxEvent, event_id)
    assert row is not None
    assert (row.organization_id, row.event_type, row.aggregate_type, row.aggregate_id, row.actor_id) == (
        9, "issue_created", "issue", 41, 3)
    assert row.payload == {"issue_id": 41, "issue_key": "P-1", "project_id": 5, "user_id": 3,
                           "timestamp": "2026-01-01T00:00:00+00:00"}
    assert row.event_class is IssueCreated and row.event == CREATED
    [emitted] = committed
    assert emitted.id == event_id and emitted.event is CREATED and emitted.event_class is IssueCreated
    assert (emitted.event_type, emitted.aggregate_type, emitted.payload) == ("issue_created", "issue", row.payload)


async def test_a_rolled_back_event_is_neither_stored_nor_handed_on(database: Database) -> None:
    committed: list[EmittedEvent] = []
    database.on_commit(committed.extend)
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as session:
            event_id = await emit(session, ProjectRolesChanged(project_id=5, role="developers", user_ids=[3]),
                                  organization_id=9, aggregate_id=5, actor_id=3)
            raise RuntimeError("the change failed")
    async with database.unit_of_work(write=False) as session:
        assert await session.get(OutboxEvent, event_id) is None
    assert committed == []


async def test_claimed_rows_map_to_their_classes_and_settle(database: Database) -> None:
    fired = WorkflowEventFired(event_name="issue_triaged", issue_id=41, issue_key="P-1", project_id=5, user_id=3,
                               timestamp="t", transition={"id": "11", "name": "Triage"})
    async with database.unit_of_work() as session:
        first = await emit(session, CREATED, organization_id=9, aggregate_id=41, actor_id=3)
        second = await emit(session, fired, organization_id=9, aggregate_id=41, actor_id=3)
    async with database.unit_of_work() as session:
        claimed = {event.id: event for event in await claim_batch(session, limit=1000)}
    assert claimed[first].event_class is IssueCreated and claimed[first].event == CREATED
    assert claimed[second].event_type == "issue_triaged" and claimed[second].event == fired
    async with database.unit_of_work() as session:
        assert not {first, second} & {event.id for event in await claim_batch(session, limit=1000)}  # leased
        await mark_failed(session, second, "boom", retry_in=timedelta(0))
        await mark_processed(session, [first])
    async with database.unit_of_work() as session:
        again = [event.id for event in await claim_batch(session, limit=1000)]
        assert second in again and first not in again
        failed = await session.scalar(select(OutboxEvent).where(OutboxEvent.id == second))
        assert failed is not None and failed.last_error == "boom" and failed.attempts == 2


async def test_events_a_statement_writes_itself_reach_the_listeners_as_emitted_ones(database: Database) -> None:
    committed: list[EmittedEvent] = []
    database.on_commit(committed.extend)
    fired = WorkflowEventFired(event_name="went_left", issue_id=41, issue_key="P-1", project_id=5, user_id=3,
                               timestamp="t", transition={"id": "2", "name": "Left"})
    carried = StatementEvents.of([CREATED, fired])
    assert carried.parameters() == {"event_types": ["issue_created", "went_left"],
                                    "payloads": [json.dumps(CREATED.payload()), json.dumps(fired.payload())]}
    async with database.unit_of_work() as session:
        carried.remember(session, [101, 102], organization_id=9, aggregate_id=41, actor_id=3,
                         created_at=datetime.now(UTC))
    assert [(e.id, e.event, e.payload) for e in committed] == [(101, CREATED, CREATED.payload()),
                                                               (102, fired, fired.payload())]
