"""PostgreSQL's second wall (tessera/db/row_security.py): a request's unit of work sees and
writes only its organization's rows even when a statement forgets the organization filter; a
transaction in the tenant role without the setting sees nothing; every tenant-owned table has
the policy. SQLite has no row security: its cases are skipped there, with the reason."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.db.row_security import POLICY, TENANT_ROLE
from tessera.edge.context import Identity, open_unit_of_work
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import Organization, User
from tests.support import OrgHandle


@pytest.fixture
def postgres(settings: Settings) -> Settings:
    if settings.is_sqlite:
        pytest.skip("row-level security is PostgreSQL's; SQLite relies on the organization filter alone")
    return settings


def _issue(client: TestClient, org: OrgHandle, key: str) -> dict:
    project = client.post("/v2/projects", json={"key": key, "name": key}, headers=org.headers)
    assert project.status_code == 201, project.text
    issue = client.post("/v2/issues", json={"project_id": key, "issue_type": "Task", "summary": f"{key} wall"},
                        headers=org.headers)
    assert issue.status_code == 201, issue.text
    return issue.json()


def _actor(org: OrgHandle) -> Identity:
    return Identity(Actor(organization_id=org.organization_id, user_id=org.admin_user_id, email=org.admin_email,
                          display_name="Admin", org_role="admin"))


async def test_an_unscoped_query_in_a_request_sees_only_its_organization(
        postgres: Settings, client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    mine, theirs = _issue(client, org, "WALLA"), _issue(client, other_org, "WALLB")
    database = Database(postgres)
    try:
        for write in (False, True):
            async with open_unit_of_work(database, _actor(org), write=write) as session:
                # Deliberately no organization filter, as a buggy query would be.
                issue_ids = set((await session.scalars(select(Issue.id))).all())
                organizations = set((await session.scalars(select(Organization.id))).all())
                project_orgs = set((await session.scalars(select(Project.organization_id))).all())
                users = set((await session.scalars(select(User.organization_id))).all())
            assert mine["id"] in issue_ids and theirs["id"] not in issue_ids
            assert organizations == project_orgs == users == {org.organization_id}
        # The owner role (the worker, the CLI) still sees both.
        async with database.unit_of_work(write=False) as session:
            every = set((await session.scalars(select(Issue.id))).all())
        assert {mine["id"], theirs["id"]} <= every
    finally:
        await database.dispose()


async def test_a_request_cannot_change_or_write_into_another_organization(
        postgres: Settings, client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    theirs = _issue(client, other_org, "WALLC")
    database = Database(postgres)
    try:
        async with open_unit_of_work(database, _actor(org), write=True) as session:
            changed = await session.execute(text("UPDATE issues SET summary = 'taken' WHERE id = :id"),
                                            {"id": theirs["id"]})
            assert changed.rowcount == 0  # type: ignore[attr-defined]
        with pytest.raises(DBAPIError, match="row-level security"):
            async with open_unit_of_work(database, _actor(org), write=True) as session:
                await session.execute(insert(Project).values(
                    organization_id=other_org.organization_id, key="PLANT", name="Planted"))
        assert client.get(f"/v2/issues/{theirs['key']}", headers=other_org.headers).json()["summary"] == "WALLC wall"
    finally:
        await database.dispose()


async def test_the_tenant_role_without_an_organization_sees_nothing(
        postgres: Settings, client: TestClient, org: OrgHandle) -> None:
    _issue(client, org, "WALLD")
    database = Database(postgres)
    try:
        async with database.unit_of_work(write=False) as session:
            assert await session.scalar(select(func.count()).select_from(Issue)) > 0
            await session.execute(text(f"SET LOCAL ROLE {TENANT_ROLE}"))
            for model in (Issue, Project, User, Organization):
                assert await session.scalar(select(func.count()).select_from(model)) == 0, model
    finally:
        await database.dispose()


async def test_every_tenant_owned_table_has_the_policy(postgres: Settings) -> None:
    """A table added later with an organization_id must call policy_statements in its migration."""
    database = Database(postgres)
    try:
        async with database.unit_of_work(write=False) as session:
            unwalled = (await session.scalars(text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND (c.relname = 'organizations' OR EXISTS ("
                "  SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id' "
                "  AND NOT a.attisdropped)) AND NOT (c.relrowsecurity AND EXISTS ("
                "  SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = :policy))"),
                {"policy": POLICY})).all()
            tables = await session.scalar(text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relrowsecurity"))
        assert unwalled == []
        assert tables > 70
    finally:
        await database.dispose()


async def test_text_search_finds_its_own_issues_and_cannot_probe_another_organization(
        postgres: Settings, client: TestClient, org: OrgHandle, other_org: OrgHandle) -> None:
    mine, theirs = _issue(client, org, "WALLE"), _issue(client, other_org, "WALLF")
    found = client.post("/v2/search", json={"jql": 'text ~ "wall"'}, headers=org.headers)
    assert found.status_code == 200, found.text
    assert [issue["key"] for issue in found.json()["issues"]] == [mine["key"]]
    database = Database(postgres)
    try:
        async with open_unit_of_work(database, _actor(org), write=False) as session:
            def probe(organization_id: int):  # type: ignore[no-untyped-def]
                return session.scalars(text("SELECT tessera_issues_matching(:org, to_tsquery('english', 'wall'))"),
                                       {"org": organization_id})
            assert list(await probe(org.organization_id)) == [mine["id"]]
            assert list(await probe(other_org.organization_id)) == []
        async with database.unit_of_work(write=False) as session:  # the owner (worker, CLI) may ask
            probed = await session.scalars(text("SELECT tessera_issues_matching(:org, to_tsquery('english', 'wall'))"),
                                           {"org": other_org.organization_id})
            assert list(probed) == [theirs["id"]]
    finally:
        await database.dispose()
