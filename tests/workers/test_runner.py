"""workers.runner: handlers subscribe by event class (a base class takes its subclasses'
events), and one run settles what it claimed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.events.models import OutboxEvent
from tessera.events.outbox import emit
from tessera.events.types import (
    CommentAdded,
    DomainEvent,
    IssueCreated,
    IssueEvent,
    TokenRevoked,
    WorkflowEventFired,
)
from tessera.workers.runner import HandlerRegistry, run_once
from tests.support import fresh_sqlite_database


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


@pytest.fixture
def worker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this test's own: a run claims every pending row."""
    with fresh_sqlite_database(str(tmp_path_factory.mktemp("worker"))) as url:
        yield url


@pytest.fixture
async def database(worker_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=worker_url))
    yield database
    await database.dispose()


async def test_a_run_hands_each_event_to_its_class_handlers_and_settles_it(database: Database) -> None:
    seen: list[tuple[str, type[DomainEvent]]] = []

    async def record(event: OutboxEvent) -> None:
        seen.append((event.event_type, type(event.event)))

    registry = HandlerRegistry()
    registry.register(record, IssueEvent)
    async with database.unit_of_work() as session:
        await emit(session, IssueCreated(issue_id=1, issue_key="P-1", project_id=2, user_id=3, timestamp="t"),
                   organization_id=9, aggregate_id=1, actor_id=3)
        await emit(session, TokenRevoked(user_id=3, token_id=4), organization_id=9, aggregate_id=3, actor_id=3)
        await emit(session, WorkflowEventFired(event_name="went_left", issue_id=1, issue_key="P-1", project_id=2,
                                               user_id=3, timestamp="t", transition={"id": "2", "name": "Left"}),
                   organization_id=9, aggregate_id=1, actor_id=3)
    assert await run_once(database, registry) == 3
    assert seen == [("issue_created", IssueCreated), ("went_left", WorkflowEventFired)]
    assert await run_once(database, registry) == 0
