"""The demo seed: realistic, written through the services, idempotent, deterministic."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from tessera.db.engine import Database
from tessera.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, DemoResult, seed_demo
from tessera.events.models import OutboxEvent
from tessera.issues.comments.models import Comment
from tessera.issues.models import ChangeGroup, ChangeItem, CustomFieldValue, Issue, IssueLink
from tessera.projects.models import IssueType, Project
from tessera.tenancy.models import User
from tessera.tenancy.service import get_organization_by_key
from tessera.workflow.models import Status
from tests.demo.conftest import count_rows
from tests.support import unique_key

ISSUES = 48


async def _org_id(database: Database, key: str) -> int:
    async with database.unit_of_work(write=False) as session:
        organization = await get_organization_by_key(session, key)
    assert organization is not None
    return organization.id


async def test_seed_writes_a_realistic_organization(database: Database, client: TestClient) -> None:
    key = unique_key("DEMO")
    result = await seed_demo(database, org_key=key, issues=ISSUES)
    assert isinstance(result, DemoResult) and result.created
    assert result.as_dict() == {"organization_key": key, "email": DEMO_EMAIL, "password": DEMO_PASSWORD,
                                "api_token": result.api_token, "issue_count": ISSUES, "created": True}
    org = await _org_id(database, key)
    assert await count_rows(database, Issue, org) == ISSUES
    assert await count_rows(database, User, org) == 9
    assert await count_rows(database, Comment, org) > ISSUES // 2
    assert await count_rows(database, IssueLink, org) == ISSUES // 12
    assert await count_rows(database, CustomFieldValue, org) > 0
    assert await count_rows(database, ChangeItem, org) > ISSUES
    async with database.unit_of_work(write=False) as session:
        issues = (await session.scalars(select(Issue).where(Issue.organization_id == org))).all()
        categories = set((await session.scalars(select(Status.category).join(Issue, Issue.status_id == Status.id)
                                                .where(Issue.organization_id == org))).all())
        types = dict((await session.execute(select(IssueType.id, IssueType.name).where(
            IssueType.organization_id == org))).all())
        projects = (await session.scalars(select(Project).where(Project.organization_id == org))).all()
        groups = (await session.execute(select(ChangeGroup.issue_id, ChangeGroup.created_at).where(
            ChangeGroup.organization_id == org))).all()
        events = set((await session.scalars(select(OutboxEvent.event_type).where(
            OutboxEvent.organization_id == org))).all())
    assert len({issue.key for issue in issues}) == ISSUES
    assert categories == {"todo", "in_progress", "done"}
    assert {"Epic", "Story", "Bug", "Sub-task"} <= {types[issue.issue_type_id] for issue in issues}
    assert all(issue.parent_id for issue in issues if types[issue.issue_type_id] == "Sub-task")
    assert any(issue.parent_id for issue in issues if types[issue.issue_type_id] in ("Story", "Bug", "Task"))
    assert {p.key for p in projects} == {"WEB", "API", "MOB", "OPS"}
    for project in projects:
        numbers = [issue.number for issue in issues if issue.project_id == project.id]
        assert project.issue_counter == max(numbers, default=0) == len(numbers)
    assert {"issue_created", "issue_updated", "status_changed", "comment_added"} <= events
    created = {issue.id: issue.created_at for issue in issues}
    now = datetime.now(UTC)
    assert all(created[issue_id] <= at <= now for issue_id, at in groups)
    assert (now - min(created.values())).days >= 150
    assert all(issue.resolved_at is not None for issue in issues if issue.resolution_id is not None)
    bug = next(issue for issue in issues if types[issue.issue_type_id] == "Bug")
    assert "Steps to reproduce" in bug.description or "*Environment*" in bug.description
    response = client.get(f"/v2/issues/{bug.key}", headers={"Authorization": f"Bearer {result.api_token}"})
    assert response.status_code == 200, response.text
    assert response.json()["custom_fields"]["severity"]["value"] in ("Critical", "Major", "Minor", "Trivial")


async def test_an_existing_demo_is_left_alone_and_gets_a_fresh_token(database: Database,
                                                                      client: TestClient) -> None:
    key = unique_key("DEMO")
    first = await seed_demo(database, org_key=key, issues=8)
    org = await _org_id(database, key)
    events = await count_rows(database, OutboxEvent, org)
    again = await seed_demo(database, org_key=key.lower(), issues=50)
    assert not again.created
    assert (again.organization_key, again.email, again.password, again.issue_count) == (
        key, DEMO_EMAIL, DEMO_PASSWORD, 8)
    assert again.api_token != first.api_token
    assert await count_rows(database, Issue, org) == 8
    assert await count_rows(database, OutboxEvent, org) == events
    for token in (first.api_token, again.api_token):
        response = client.get("/v2/projects", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


async def test_the_same_seed_writes_the_same_issues(database: Database) -> None:
    keys = [unique_key("DEMO") for _ in range(2)]
    texts = []
    for key in keys:
        await seed_demo(database, org_key=key, issues=20)
        org = await _org_id(database, key)
        async with database.unit_of_work(write=False) as session:
            texts.append((await session.execute(select(Issue.key, Issue.summary, Issue.description).where(
                Issue.organization_id == org).order_by(Issue.key))).all())
    assert texts[0] == texts[1] and len(texts[0]) == 20
