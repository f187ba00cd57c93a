"""A bulk load into one project, with sprints planted: the Sprint field's history agrees with
its values, and the sprint reports find committed and completed work."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tessera.agile.fields import agile_fields, history_field_id
from tessera.agile.models import Sprint
from tessera.db.engine import Database
from tessera.demo.bulk import bulk_load
from tessera.demo.bulk_sprints import plant_sprints
from tessera.issues.models import ChangeItem, CustomFieldValue, Issue
from tessera.issues.references import load_catalog
from tessera.projects.models import Project
from tessera.tenancy.models import User
from tessera.tenancy.service import get_organization_by_key, issue_api_token
from tests.demo.conftest import span_triggers
from tests.support import unique_key


async def test_a_project_load_with_sprints(database: Database, client: TestClient) -> None:
    key = unique_key("SPR")
    await bulk_load(database, org_key=key, issues=1_500, seed=3, project_keys=["web"])
    planted = await plant_sprints(database, org_key=key, project_key="WEB", seed=3)
    assert planted.sprints >= 50 and planted.issues_in_sprints > 500 and planted.moves >= planted.issues_in_sprints
    assert await span_triggers(database) == (3 if database.dialect == "postgresql" else 6)  # left as they were
    async with database.unit_of_work() as session:
        organization = await get_organization_by_key(session, key)
        assert organization is not None
        org = organization.id
        assert {p.key for p in (await session.scalars(select(Project).join(Issue, Issue.project_id == Project.id)
                                                      .where(Project.organization_id == org))).all()} == {"WEB"}
        states = [s.state for s in (await session.scalars(select(Sprint).where(Sprint.organization_id == org)
                                                          .order_by(Sprint.id))).all()]
        assert states == ["closed"] * (planted.sprints - 1) + ["active"]
        field = agile_fields(await load_catalog(session, org)).sprint
        values = dict((await session.execute(select(CustomFieldValue.issue_id, CustomFieldValue.value_ref).where(
            CustomFieldValue.organization_id == org, CustomFieldValue.field_id == field.id))).all())
        last = dict((await session.execute(select(ChangeItem.issue_id, ChangeItem.to_value).where(
            ChangeItem.organization_id == org, ChangeItem.field_id == history_field_id(field))
            .order_by(ChangeItem.created_at, ChangeItem.id))).all())
        assert {issue_id: int(to) for issue_id, to in last.items()} == values
        admin = await session.scalar(select(User).where(User.organization_id == org, User.role == "admin"))
        assert admin is not None
        token = await issue_api_token(session, user=admin)
    velocity = client.get("/v2/projects/WEB/reports/velocity", params={"period": "1y"},
                          headers={"Authorization": f"Bearer {token}"}).json()
    assert len(velocity["sprints"]) >= 20 and velocity["average"] > 0
    assert all(s["issues_completed"] > 0 for s in velocity["sprints"])
