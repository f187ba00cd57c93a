"""Bulk loading through COPY (PostgreSQL) and executemany (SQLite)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url, select, text

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.demo.bulk import LOAD_PROJECTS, LoadResult, bulk_load
from tessera.issues.models import (
    ChangeGroup,
    ChangeItem,
    CustomFieldValue,
    Issue,
    IssueComponent,
    IssueLabel,
    IssueVersion,
)
from tessera.projects.models import Project
from tessera.tenancy.models import User
from tessera.tenancy.service import get_organization_by_key, issue_api_token
from tessera.workflow.models import Status
from tests.demo.conftest import count_rows, span_triggers
from tests.support import unique_key

ISSUES = 2_000


async def test_bulk_load_writes_varied_consistent_issues(database: Database, client: TestClient) -> None:
    key = unique_key("LOAD")
    messages: list[str] = []
    result = await bulk_load(database, org_key=key, issues=ISSUES, seed=7, progress=messages.append)
    assert isinstance(result, LoadResult)
    assert result.as_dict() == {"organization_key": key, "issues": ISSUES, "seconds": result.seconds,
                                "rate": result.rate}
    assert result.rate > 0 and any(f"{ISSUES:,}/{ISSUES:,}" in message for message in messages)
    async with database.unit_of_work() as session:
        organization = await get_organization_by_key(session, key)
        assert organization is not None
        org = organization.id
        admin = await session.scalar(select(User).where(User.organization_id == org, User.role == "admin"))
        assert admin is not None and admin.email == f"load-admin@{key.lower()}.test"
        token = await issue_api_token(session, user=admin)
    for model in (IssueLabel, IssueComponent, IssueVersion, CustomFieldValue):
        assert await count_rows(database, model, org) > ISSUES // 10, model
    assert await count_rows(database, User, org) == 51
    assert await count_rows(database, ChangeGroup, org) > ISSUES
    async with database.unit_of_work(write=False) as session:
        issues = (await session.execute(select(
            Issue.id, Issue.key, Issue.project_id, Issue.number, Status.name, Status.category, Issue.resolution_id,
            Issue.resolved_at, Issue.created_at, Issue.updated_at, Issue.version).join(
            Status, Status.id == Issue.status_id).where(Issue.organization_id == org))).all()
        projects = (await session.scalars(select(Project).where(Project.organization_id == org))).all()
        last_status = dict((await session.execute(
            select(ChangeItem.issue_id, ChangeItem.to_string).where(
                ChangeItem.organization_id == org, ChangeItem.field == "status")
            .order_by(ChangeItem.created_at, ChangeItem.id))).all())
    assert len(issues) == ISSUES and len({row.key for row in issues}) == ISSUES
    assert {row.category for row in issues} == {"todo", "in_progress", "done"}
    assert {p.key for p in projects} == {spec.key for spec in LOAD_PROJECTS}
    for project in projects:
        numbers = sorted(row.number for row in issues if row.project_id == project.id)
        assert numbers == list(range(1, project.issue_counter + 1))
    for row in issues:
        assert (row.category == "done") == (row.resolution_id is not None) == (row.resolved_at is not None)
        assert row.created_at <= row.updated_at
        assert last_status.get(row.id, "To Do") == row.name
    loaded = issues[len(issues) // 2]
    response = client.get(f"/v2/issues/{loaded.key}?expand=changelog",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["key"] == loaded.key and body["status"]["name"] == loaded.name and body["version"] == loaded.version


async def test_loading_again_continues_the_numbering(database: Database) -> None:
    key = unique_key("LOAD")
    await bulk_load(database, org_key=key, issues=300)
    await bulk_load(database, org_key=key, issues=200, seed=2)
    async with database.unit_of_work(write=False) as session:
        organization = await get_organization_by_key(session, key)
        assert organization is not None
        keys = (await session.scalars(select(Issue.key).where(Issue.organization_id == organization.id))).all()
        counters = sum((await session.scalars(select(Project.issue_counter).where(
            Project.organization_id == organization.id))).all())
    assert len(keys) == len(set(keys)) == counters == 500
    assert await count_rows(database, User, organization.id) == 51


async def test_bulk_load_writes_the_spans_that_the_history_triggers_would(database: Database) -> None:
    """The loader writes history with the span triggers off (COPY as superuser; dropped for the
    batch on SQLite) and the spans of its rows computed alongside: they equal a rebuild from
    change_items and the issues, and the triggers are back for everyone else."""
    from tessera.jql.models import IssueValueSpan
    from tessera.jql.value_spans import SPAN_FIELDS, rebuild_organization

    key = unique_key("SPAN")
    await bulk_load(database, org_key=key, issues=300, seed=3)
    columns = (IssueValueSpan.issue_id, IssueValueSpan.field_id, IssueValueSpan.value, IssueValueSpan.started_at,
               IssueValueSpan.ended_at, IssueValueSpan.set_by, IssueValueSpan.first_held)
    async with database.unit_of_work() as session:
        org = (await get_organization_by_key(session, key)).id  # type: ignore[union-attr]
        loaded = sorted((await session.execute(select(*columns).where(IssueValueSpan.organization_id == org))).all(),
                        key=repr)
        await rebuild_organization(await session.connection(), org)
        rebuilt = sorted((await session.execute(select(*columns).where(IssueValueSpan.organization_id == org))).all(),
                         key=repr)
    assert loaded and loaded == rebuilt
    assert await span_triggers(database) == (3 if database.dialect == "postgresql" else 6)
    status_items = await count_rows_where(database, org)
    assert sum(1 for span in loaded if span[1] == "status" and span[5] is not None) == status_items
    # Every issue has spans for every field from its creation on, one first span per value held.
    assert {(span[0], span[1]) for span in loaded} == {(issue, field) for issue in {span[0] for span in loaded}
                                                       for field in SPAN_FIELDS}
    assert len({span[0] for span in loaded}) == 300
    firsts = [(span[0], span[1], span[2]) for span in loaded if span[6]]
    assert len(firsts) == len(set(firsts)) == len({(span[0], span[1], span[2]) for span in loaded})


async def count_rows_where(database: Database, org: int) -> int:
    async with database.unit_of_work(write=False) as session:
        return len((await session.execute(select(ChangeItem.id).where(
            ChangeItem.organization_id == org, ChangeItem.field_id == "status"))).all())



async def test_a_role_that_keeps_triggers_on_still_gets_each_span_once(database: Database, settings: Settings) -> None:
    """Without the right to turn triggers off (not a superuser), the database's triggers write
    the spans as the rows go in, and the loader does not write them again."""
    if database.dialect != "postgresql":
        pytest.skip("session_replication_role is PostgreSQL's")
    from tessera.jql.models import IssueValueSpan
    from tessera.jql.value_spans import rebuild_organization

    role = f"loader_{uuid.uuid4().hex[:8]}"
    url = make_url(settings.database_url)
    async with database.unit_of_work() as session:
        # Not a superuser, which is the point here; like any role that loads for every organization
        # it must own the tables or bypass row security (README, "Row-level security").
        for statement in (f'CREATE ROLE "{role}" LOGIN NOSUPERUSER BYPASSRLS',
                          f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"',
                          f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"'):
            await session.execute(text(statement))
    loader = Database(Settings(database_url=url.set(username=role).render_as_string(hide_password=False)))
    try:
        messages: list[str] = []
        key = unique_key("ROLE")
        await bulk_load(loader, org_key=key, issues=200, seed=5, progress=messages.append)
        assert any("foreign-key checks stay on" in message for message in messages)
        columns = (IssueValueSpan.issue_id, IssueValueSpan.field_id, IssueValueSpan.value,
                   IssueValueSpan.started_at, IssueValueSpan.ended_at, IssueValueSpan.set_by, IssueValueSpan.first_held)
        async with database.unit_of_work() as session:
            org = (await get_organization_by_key(session, key)).id  # type: ignore[union-attr]
            loaded = sorted((await session.execute(select(*columns).where(
                IssueValueSpan.organization_id == org))).all(), key=repr)
            await rebuild_organization(await session.connection(), org)
            rebuilt = sorted((await session.execute(select(*columns).where(
                IssueValueSpan.organization_id == org))).all(), key=repr)
        assert len(loaded) >= 200 * 5 and loaded == rebuilt
    finally:
        await loader.dispose()
        async with database.unit_of_work() as session:
            await session.execute(text(f'DROP OWNED BY "{role}"'))
            await session.execute(text(f'DROP ROLE "{role}"'))
