"""Shared by the Jira import tests: the real data (skipped, with the reason, when it is absent),
a Database on the session's test database, and JQL counts as the organization's admin sees them."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.jql.search import search_issues
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.service import load_organization_by_key

DATA = Path("/work/shared/data/jira-real")
TIDEV = DATA / "tidev-appcelerator"
JIRAMETRICS = DATA / "jirametrics-sample" / "complete_sample" / "sample_issues"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"the real Jira data is not on this machine ({path} is absent; see tests/importing/conftest.py)")
    return path


def read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


async def jql_count(database: Database, org_key: str, query: str) -> int:
    async with database.unit_of_work(write=False) as session:
        organization = await load_organization_by_key(session, org_key)
        admin = await session.scalar(select(User).where(User.organization_id == organization.id,
                                                        User.role == "admin").order_by(User.id))
        assert admin is not None
        actor = Actor(organization_id=organization.id, user_id=admin.id, email=admin.email,
                      display_name=admin.display_name, org_role=admin.role, via="system",
                      organization_key=organization.key, catalog_version=organization.catalog_version)
        return (await search_issues(session, actor=actor, jql=query, max_results=0)).total
