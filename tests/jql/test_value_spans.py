"""issue_value_spans follow the change history whoever writes it, and WAS answered from them
agrees with a replay of that history, on both backends.

Histories are written straight into change_groups/change_items (as an importer or any other
writer would), in time order, with the issue's columns set to the last value: the spans are
then compared with the intervals computed here, with a rebuild from scratch, and `status WAS`
/ `assignee WAS` with random windows and BY are compared with a replay in plain Python."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.issues.models import ChangeGroup, ChangeItem, Issue
from tessera.jql.models import IssueValueSpan
from tessera.jql.value_spans import SPAN_FIELDS, rebuild_organization
from tests.support import OrgHandle, make_user

CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FIELD_COLUMNS = {"status": "status_id", "assignee": "assignee_id"}


@dataclass(frozen=True)
class Change:
    minute: int  # minutes after CREATED, strictly increasing
    field: str
    to_value: int | None
    author: int


@dataclass
class Setup:
    org: OrgHandle
    project_id: int
    statuses: dict[int, str]  # id → name
    users: dict[int, str]  # id → email


@pytest.fixture(scope="module")
def setup(client: TestClient, database_url: str) -> Setup:
    from tests.support import make_org

    org = make_org(database_url)
    project = client.post("/v2/projects", json={"key": "SPAN", "name": "Spans"}, headers=org.headers).json()
    issue = client.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task", "summary": "probe"},
                        headers=org.headers).json()
    transitions = client.get(f"/v2/issues/{issue['id']}/transitions", headers=org.headers).json()["transitions"]
    statuses = {int(issue["status"]["id"]): issue["status"]["name"]}
    statuses.update({int(t["to"]["id"]): t["to"]["name"] for t in transitions})
    users = {org.admin_user_id: org.admin_email}
    for _ in range(2):
        user = make_user(database_url, org, role="member")
        users[user.user_id] = user.email
    return Setup(org, project["id"], statuses, users)


def _at(minute: int) -> datetime:
    return CREATED + timedelta(minutes=minute)


def _initial(setup: Setup) -> dict[str, int | None]:
    return {"status": min(setup.statuses), "assignee": None}


def _spans(initial: dict[str, int | None], changes: list[Change]) -> set[tuple]:
    """(field, value, start minute, end minute or None, set_by, first_held) as the history says;
    a field that never changed holds its initial value from creation on."""
    spans: set[tuple] = set()
    for field in FIELD_COLUMNS:
        seen: set[int | None] = set()
        for value, start, end, set_by in _held(initial, changes, field):
            spans.add((field, value, start, end, set_by, value not in seen))
            seen.add(value)
    return spans


def _held(initial: dict[str, int | None], changes: list[Change], field: str) -> list[tuple]:
    """(value, start, end or None, set_by) intervals of one field, the issue's whole life."""
    intervals, value, start, set_by = [], initial[field], 0, None
    for change in (c for c in changes if c.field == field):
        intervals.append((value, start, change.minute, set_by))
        value, start, set_by = change.to_value, change.minute, change.author
    intervals.append((value, start, None, set_by))
    return intervals


def _was(intervals: list[tuple], value: int | None, window: tuple[int | None, bool, int | None, bool],
         authors: set[int] | None) -> bool:
    """Replay: with BY, a change to the value by those users inside the window; without, the
    value held at some moment of the window (a change at the window's start ends the old one)."""
    start, start_inclusive, end, end_inclusive = window
    for held, began, ended, set_by in intervals:
        if held != value:
            continue
        if authors is not None:
            if set_by not in authors or began == 0 and set_by is None:
                continue
            after_start = start is None or (began >= start if start_inclusive else began > start)
            before_end = end is None or (began <= end if end_inclusive else began < end)
            if after_start and before_end:
                return True
            continue
        before_end = end is None or (began <= end if end_inclusive else began < end)
        after_start = start is None or ended is None or ended > start
        if before_end and after_start:
            return True
    return False


async def _write_history(database_url: str, setup: Setup, issue_id: int, changes: list[Change]) -> None:
    database = Database(Settings(database_url=database_url))
    initial = _initial(setup)
    current = dict(initial)
    try:
        async with database.unit_of_work() as session:
            await session.execute(update(Issue).where(Issue.id == issue_id).values(created_at=CREATED))
            for change in changes:
                group_id = (await session.execute(insert(ChangeGroup).values(
                    organization_id=setup.org.organization_id, issue_id=issue_id, author_id=change.author,
                    created_at=_at(change.minute)).returning(ChangeGroup.id))).scalar_one()
                before = current[change.field]
                await session.execute(insert(ChangeItem).values(
                    organization_id=setup.org.organization_id, group_id=group_id, issue_id=issue_id,
                    field=change.field, field_id=change.field, field_type="jira",
                    from_value=None if before is None else str(before),
                    to_value=None if change.to_value is None else str(change.to_value),
                    author_id=change.author, created_at=_at(change.minute)))
                current[change.field] = change.to_value
            await session.execute(update(Issue).where(Issue.id == issue_id).values(
                **{FIELD_COLUMNS[field]: value for field, value in current.items()}))
    finally:
        await database.dispose()


async def _read_spans(database_url: str, issue_id: int, *, rebuild_org: int | None = None,
                      fields: tuple[str, ...] = tuple(FIELD_COLUMNS)) -> set[tuple]:
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            if rebuild_org is not None:
                await rebuild_organization(await session.connection(), rebuild_org)
            rows = (await session.execute(select(
                IssueValueSpan.field_id, IssueValueSpan.value, IssueValueSpan.started_at, IssueValueSpan.ended_at,
                IssueValueSpan.set_by, IssueValueSpan.first_held).where(
                IssueValueSpan.issue_id == issue_id, IssueValueSpan.field_id.in_(fields)))).all()
    finally:
        await database.dispose()

    def minute(moment: datetime | None) -> int | None:
        return None if moment is None else int((moment - CREATED).total_seconds() // 60)

    return {(field, None if value is None else int(value), minute(start), minute(end), set_by, bool(first))
            for field, value, start, end, set_by, first in rows}


def _histories(setup: Setup):  # type: ignore[no-untyped-def]
    statuses, users = sorted(setup.statuses), sorted(setup.users)
    change = st.tuples(st.integers(1, 600), st.sampled_from(list(FIELD_COLUMNS)), st.sampled_from(statuses),
                       st.sampled_from([None, *users]), st.sampled_from(users))

    def build(raw: list[tuple]) -> list[Change]:
        minute, changes = 0, []
        for step, field, status, assignee, author in raw:
            minute += step
            changes.append(Change(minute, field, status if field == "status" else assignee, author))
        return changes

    return st.lists(change, max_size=8).map(build)


_WINDOWS = st.tuples(st.sampled_from(["during", "before", "after", "on", "none"]), st.integers(0, 3000),
                     st.integers(0, 600))


def _clause(kind: str, start: int, length: int) -> tuple[str, tuple]:
    def text(minute: int) -> str:
        return _at(minute).strftime("'%Y-%m-%d %H:%M'")

    if kind == "during":
        return f" DURING ({text(start)}, {text(start + length)})", (start, True, start + length, True)
    if kind == "before":
        return f" BEFORE {text(start)}", (None, True, start, False)
    if kind == "after":
        return f" AFTER {text(start)}", (start, False, None, True)
    if kind == "on":
        day = _at(start).replace(hour=0, minute=0)
        first = int((day - CREATED).total_seconds() // 60)
        return f" ON {day.strftime('%Y-%m-%d')}", (first, True, first + 24 * 60 - 1, True)
    return "", (None, True, None, True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_spans_follow_history_and_was_agrees_with_a_replay(client: TestClient, database_url: str, setup: Setup,
                                                           data: st.DataObject) -> None:
    changes = data.draw(_histories(setup))
    issue = client.post("/v2/issues", json={"project_id": setup.project_id, "issue_type": "Task",
                                            "summary": "history"}, headers=setup.org.headers).json()
    asyncio.run(_write_history(database_url, setup, issue["id"], changes))
    expected = _spans(_initial(setup), changes)
    assert asyncio.run(_read_spans(database_url, issue["id"])) == expected
    assert asyncio.run(_read_spans(database_url, issue["id"], rebuild_org=setup.org.organization_id)) == expected

    for _ in range(4):
        field = data.draw(st.sampled_from(list(FIELD_COLUMNS)))
        kind, start, length = data.draw(_WINDOWS)
        clause, window = _clause(kind, start, length)
        by = data.draw(st.sampled_from([None, *sorted(setup.users)]))
        if field == "status":
            value = data.draw(st.sampled_from(sorted(setup.statuses)))
            shown = f'"{setup.statuses[value]}"'
        else:
            value = data.draw(st.sampled_from([None, *sorted(setup.users)]))
            shown = "EMPTY" if value is None else f'"{setup.users[value]}"'
        by_clause = f' BY "{setup.users[by]}"' if by is not None else ""
        jql = f"key = {issue['key']} AND {field} WAS {shown}{clause}{by_clause}"
        response = client.post("/v2/search", json={"jql": jql, "fields": ["key"]}, headers=setup.org.headers)
        assert response.status_code == 200, (jql, response.text)
        intervals = _held(_initial(setup), changes, field)
        expected_match = _was(intervals, value, window, {by} if by is not None else None)
        assert (response.json()["total"] == 1) == expected_match, (jql, changes)


def test_deleting_history_leaves_the_current_value_and_deleting_the_issue_leaves_no_spans(
        client: TestClient, database_url: str, setup: Setup) -> None:
    member = sorted(setup.users)[-1]
    changes = [Change(5, "status", max(setup.statuses), member), Change(9, "assignee", member, member)]
    issue = client.post("/v2/issues", json={"project_id": setup.project_id, "issue_type": "Task",
                                            "summary": "to delete"}, headers=setup.org.headers).json()
    asyncio.run(_write_history(database_url, setup, issue["id"], changes))
    assert len(asyncio.run(_read_spans(database_url, issue["id"]))) == 4

    async def drop_status_history() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                await session.execute(delete(ChangeItem).where(ChangeItem.issue_id == issue["id"],
                                                               ChangeItem.field_id == "status"))
        finally:
            await database.dispose()

    asyncio.run(drop_status_history())
    # Without its history the status has held its current value since creation.
    assert asyncio.run(_read_spans(database_url, issue["id"])) == _spans(
        {"status": max(setup.statuses), "assignee": None}, [changes[1]])
    assert client.delete(f"/v2/issues/{issue['id']}", headers=setup.org.headers).status_code == 204
    assert asyncio.run(_read_spans(database_url, issue["id"], fields=SPAN_FIELDS)) == set()


def test_a_new_issue_has_a_span_for_every_field_from_creation(client: TestClient, database_url: str,
                                                              setup: Setup) -> None:
    member = sorted(setup.users)[-1]
    issue = client.post("/v2/issues", json={"project_id": setup.project_id, "issue_type": "Task", "summary": "new",
                                            "assignee_id": member}, headers=setup.org.headers).json()
    spans = asyncio.run(_read_spans(database_url, issue["id"], fields=SPAN_FIELDS))
    assert {span[0] for span in spans} == set(SPAN_FIELDS)
    assert all(end is None and set_by is None and first for _, _, _, end, set_by, first in spans)
    held = {field: value for field, value, *_ in spans}
    assert held["status"] == int(issue["status"]["id"]) and held["assignee"] == member
    assert held["resolution"] is None and held["priority"] == int(issue["priority"]["id"])
    found = client.post("/v2/search", json={"jql": f'key = {issue["key"]} AND assignee WAS "{setup.users[member]}" '
                                                   f'AND status WAS "{issue["status"]["name"]}" AND resolution WAS EMPTY'},
                        headers=setup.org.headers).json()
    assert found["total"] == 1


def test_transitions_through_the_api_record_spans(client: TestClient, database_url: str, setup: Setup) -> None:
    headers = setup.org.headers
    issue = client.post("/v2/issues", json={"project_id": setup.project_id, "issue_type": "Task",
                                            "summary": "moving"}, headers=headers).json()
    transitions = client.get(f"/v2/issues/{issue['id']}/transitions", headers=headers).json()["transitions"]
    target = transitions[0]
    response = client.post(f"/v2/issues/{issue['id']}/transitions/{target['id']}", json={}, headers=headers)
    assert response.status_code == 200, response.text
    spans = asyncio.run(_read_spans(database_url, issue["id"]))
    values = {(field, value, end is None, set_by) for field, value, _, end, set_by, _ in spans if field == "status"}
    assert values == {("status", int(issue["status"]["id"]), False, None),
                      ("status", int(target["to"]["id"]), True, setup.org.admin_user_id)}
    name = target["to"]["name"]
    found = client.post("/v2/search", json={"jql": f'key = {issue["key"]} AND status WAS "{name}" '
                                                   f'BY "{setup.org.admin_email}"'}, headers=headers).json()
    assert found["total"] == 1


def test_history_written_out_of_order_still_gives_true_spans(client: TestClient, database_url: str,
                                                            setup: Setup) -> None:
    """An importer may write an older change after a newer one: the spans are recomputed."""
    statuses, users = sorted(setup.statuses), sorted(setup.users)
    issue = client.post("/v2/issues", json={"project_id": setup.project_id, "issue_type": "Task",
                                            "summary": "imported"}, headers=setup.org.headers).json()
    late = [Change(10, "status", statuses[1], users[0]), Change(30, "status", statuses[2], users[1])]
    asyncio.run(_write_history(database_url, setup, issue["id"], late))
    early = Change(20, "assignee", users[1], users[0])
    asyncio.run(_write_history(database_url, setup, issue["id"], [early]))  # a new field: appended
    between = Change(20, "status", statuses[-1], users[1])

    async def insert_between() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                group_id = (await session.execute(insert(ChangeGroup).values(
                    organization_id=setup.org.organization_id, issue_id=issue["id"], author_id=between.author,
                    created_at=_at(between.minute)).returning(ChangeGroup.id))).scalar_one()
                await session.execute(insert(ChangeItem).values(
                    organization_id=setup.org.organization_id, group_id=group_id, issue_id=issue["id"],
                    field="status", field_id="status", field_type="jira", from_value=str(statuses[1]),
                    to_value=str(between.to_value), author_id=between.author, created_at=_at(between.minute)))
        finally:
            await database.dispose()

    asyncio.run(insert_between())
    expected = _spans(_initial(setup), [late[0], between, late[1], early])
    assert asyncio.run(_read_spans(database_url, issue["id"])) == expected
    assert asyncio.run(_read_spans(database_url, issue["id"], rebuild_org=setup.org.organization_id)) == expected


@pytest.mark.parametrize("jql", [
    'project = SPAN AND status WAS "{first}"', 'status WAS "{first}"', 'status WAS IN ("{first}", "{last}")',
    'status WAS NOT "{first}"', "assignee WAS EMPTY", 'status WAS "{last}" BEFORE "2026-03-01 10:00"',
    "status CHANGED", 'status WAS "{first}" OR assignee WAS EMPTY', "labels = nothing-here OR status CHANGED",
])
def test_counting_alone_agrees_with_listing(client: TestClient, database_url: str, setup: Setup, jql: str) -> None:
    """max_results 0 counts without listing (a lone id set counted alone, an OR by
    inclusion–exclusion): the same total as the listing, which collects the matching ids."""
    statuses, users = sorted(setup.statuses), sorted(setup.users)
    for changes in ([Change(30, "status", statuses[-1], users[0])], [],
                    [Change(10, "assignee", users[1], users[1]), Change(20, "status", statuses[1], users[1]),
                     Change(40, "status", statuses[0], users[0])]):
        issue = client.post("/v2/issues", json={"project_id": setup.project_id, "issue_type": "Task",
                                                "summary": "counted"}, headers=setup.org.headers).json()
        asyncio.run(_write_history(database_url, setup, issue["id"], changes))
    text = jql.format(first=setup.statuses[statuses[0]], last=setup.statuses[statuses[-1]])
    listed = client.post("/v2/search", json={"jql": text, "max_results": 1000, "fields": ["key"]},
                         headers=setup.org.headers).json()
    counted = client.post("/v2/search", json={"jql": text, "max_results": 0}, headers=setup.org.headers).json()
    assert counted["total"] == listed["total"] == len(listed["issues"]), text
    assert listed["total"] > 0 or text.startswith("status WAS NOT"), text
