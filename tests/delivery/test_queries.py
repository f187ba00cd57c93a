"""The operators' reading of deliveries on SQLite and PostgreSQL: every filter, keyset pages
newest first (ties on created_at broken by id), one delivery with its attempts, and tenancy:
another organization's deliveries are never listed and are not found by id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.delivery.queries import (
    DeliveryFilter,
    access_delivery,
    attempts_of,
    check_filter,
    check_operator,
    list_deliveries,
)
from tessera.errors import InvalidInput, NotFound, PermissionDenied
from tessera.tenancy.actor import Actor
from tests.factories.deliveries import Planned, plant_async
from tests.support import OrgHandle

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=database_url))
    yield database
    await database.dispose()


async def _ids(database: Database, organization_id: int | None, where: DeliveryFilter = DeliveryFilter(),
               **page: object) -> list[int]:
    async with database.unit_of_work(write=False) as session:
        result = await list_deliveries(session, organization_id=organization_id, where=where, **page)  # type: ignore[arg-type]
        return [d.id for d in result.deliveries]


async def test_each_filter_selects_what_it_names(database: Database, database_url: str, org: OrgHandle) -> None:
    ids = await plant_async(
        database_url, org.organization_id,
        Planned(state="delivered", channel="webhook", target="https://a.example.test/hook", target_id=7,
                event_type="issue_created", created_at=T0),
        Planned(state="dead", channel="webhook", target="https://B.example.test/HOOK", target_id=8,
                event_type="comment_created", created_at=T0 + timedelta(hours=1)),
        Planned(state="failed", channel="email", target="ann@example.test", target_id=3,
                event_type="issue_created", created_at=T0 + timedelta(hours=2)),
        Planned(state="pending", channel="slack", target="slack", event_type="issue_updated",
                created_at=T0 + timedelta(hours=3)))
    delivered, dead, failed, pending = ids
    assert await _ids(database, org.organization_id) == [pending, failed, dead, delivered]
    cases = [
        (check_filter(states=["dead"]), [dead]),
        (check_filter(states=["dead,failed"]), [failed, dead]),
        (check_filter(states=["delivered", "pending"]), [pending, delivered]),
        (check_filter(channels=["webhook"]), [dead, delivered]),
        (check_filter(channels=["Email", "slack"]), [pending, failed]),
        (check_filter(target_id=8), [dead]),
        (check_filter(target="b.example"), [dead]),
        (check_filter(target="hook"), [dead, delivered]),
        (check_filter(target="%"), []),  # a wildcard character is taken literally
        (check_filter(event_type="issue_created"), [failed, delivered]),
        (check_filter(since=T0 + timedelta(hours=1)), [pending, failed, dead]),
        (check_filter(until=T0 + timedelta(hours=1)), [dead, delivered]),
        (check_filter(since=T0 + timedelta(minutes=30), until=T0 + timedelta(hours=2)), [failed, dead]),
        # A time without a zone is UTC.
        (check_filter(since=datetime(2026, 3, 2, 14, 0)), [pending, failed]),
        (check_filter(channels=["webhook"], states=["delivered"], event_type="issue_created", target_id=7),
         [delivered]),
    ]
    for where, expected in cases:
        assert await _ids(database, org.organization_id, where) == expected, where


async def test_pages_follow_the_cursor_newest_first_without_gaps_or_repeats(
        database: Database, database_url: str, org: OrgHandle) -> None:
    # Five share one created_at: the id breaks the tie, and a page boundary falls among them.
    plans = [Planned(created_at=T0 + timedelta(minutes=n if n < 3 else 3)) for n in range(8)]
    planted = await plant_async(database_url, org.organization_id, *plans)
    expected = sorted(planted, key=lambda i: (plans[planted.index(i)].created_at, i), reverse=True)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        async with database.unit_of_work(write=False) as session:
            page = await list_deliveries(session, organization_id=org.organization_id, where=DeliveryFilter(),
                                         limit=3, cursor=cursor)
        seen += [d.id for d in page.deliveries]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected and pages == 3
    # Exactly a page's worth: the last full page says there is no more.
    async with database.unit_of_work(write=False) as session:
        page = await list_deliveries(session, organization_id=org.organization_id, where=DeliveryFilter(), limit=8)
    assert len(page.deliveries) == 8 and page.next_cursor is None


async def test_bad_filters_are_refused_naming_the_parameter(database: Database, org: OrgHandle) -> None:
    refused = [
        (lambda: check_filter(states=["delivered", "lost"]), "state"),
        (lambda: check_filter(channels=["pigeon"]), "channel"),
        (lambda: check_filter(target="x" * 501), "target"),
        (lambda: check_filter(event_type="e" * 65), "event"),
        (lambda: check_filter(since=T0, until=T0 - timedelta(seconds=1)), "since"),
    ]
    for call, field in refused:
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.field == field and field in caught.value.message
    for cursor in ("not-a-cursor", "", "MTIz", "%%%"):
        if not cursor:
            continue
        async with database.unit_of_work(write=False) as session:
            with pytest.raises(InvalidInput) as caught:
                await list_deliveries(session, organization_id=org.organization_id, where=DeliveryFilter(),
                                      cursor=cursor)
        assert caught.value.field == "cursor"
    for limit in (0, 501):
        async with database.unit_of_work(write=False) as session:
            with pytest.raises(InvalidInput) as caught:
                await list_deliveries(session, organization_id=org.organization_id, where=DeliveryFilter(),
                                      limit=limit)
        assert caught.value.field == "limit"


async def test_one_delivery_with_its_attempts_in_order(database: Database, database_url: str, org: OrgHandle) -> None:
    [dead] = await plant_async(database_url, org.organization_id, Planned(state="dead", attempts=3))
    async with database.unit_of_work(write=False) as session:
        delivery = await access_delivery(session, organization_id=org.organization_id, delivery_id=dead)
        attempts = await attempts_of(session, delivery)
    assert delivery.state == "dead" and delivery.attempts == 3 and delivery.last_status == 410
    assert [(a.number, a.ok, a.status_code) for a in attempts] == [(1, False, 503), (2, False, 503), (3, False, 410)]
    assert attempts[-1].response_snippet == "gone" and "410" in (attempts[-1].error or "")


async def test_another_organizations_deliveries_are_never_seen(database: Database, database_url: str, org: OrgHandle,
                                                              other_org: OrgHandle) -> None:
    mine = await plant_async(database_url, org.organization_id, Planned(state="delivered"), Planned(state="dead"))
    theirs = await plant_async(database_url, other_org.organization_id, Planned(state="dead", target_id=99))
    assert await _ids(database, other_org.organization_id) == theirs
    assert set(mine) <= set(await _ids(database, org.organization_id))
    assert not set(theirs) & set(await _ids(database, org.organization_id, check_filter(target_id=99)))
    for delivery_id in mine:
        async with database.unit_of_work(write=False) as session:
            with pytest.raises(NotFound) as caught:
                await access_delivery(session, organization_id=other_org.organization_id, delivery_id=delivery_id)
        assert caught.value.message == "No delivery has that id."
    # The operator's view (no organization) holds both.
    everyone = await _ids(database, None, limit=500)
    assert set(mine) | set(theirs) <= set(everyone)


def test_only_administrators_operate(org: OrgHandle) -> None:
    actor = Actor(organization_id=org.organization_id, user_id=1, email="a@x.test", display_name="A", org_role="admin")
    assert check_operator(actor) == org.organization_id
    for role in ("member", "viewer"):
        with pytest.raises(PermissionDenied):
            check_operator(Actor(organization_id=org.organization_id, user_id=2, email="m@x.test",
                                 display_name="M", org_role=role))
