"""Reading and writing issue properties. Reading needs the issue (so Browse Projects, checked by
whoever loaded it); writing needs Edit Issues, as in Jira. Jira's limits: a key of at most 255
characters, a value of at most 32,768 characters of JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput, NotFound
from tessera.issues.models import Issue
from tessera.issues.properties.models import IssueProperty
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize

MAX_KEY_LENGTH = 255
MAX_VALUE_LENGTH = 32_768


def _key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"The property key must be 1 to {MAX_KEY_LENGTH} characters long.", field="propertyKey")
    return key


async def list_issue_properties(session: AsyncSession, *, issue: Issue) -> Sequence[IssueProperty]:
    return (await session.scalars(select(IssueProperty).where(
        IssueProperty.organization_id == issue.organization_id, IssueProperty.issue_id == issue.id)
        .order_by(IssueProperty.key))).all()


async def get_issue_property(session: AsyncSession, *, issue: Issue, key: str) -> IssueProperty:
    found = await session.scalar(select(IssueProperty).where(
        IssueProperty.organization_id == issue.organization_id, IssueProperty.issue_id == issue.id,
        IssueProperty.key == key))
    if found is None:
        raise NotFound(f"The property with key '{key[:100]}' does not exist.")
    return found


async def check_set_issue_property(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                   key: str, value: Any) -> bool:
    """True when the property is new."""
    await authorize(session, actor, Permission.EDIT_ISSUES, project)
    key = _key(key)
    if len(json.dumps(value)) > MAX_VALUE_LENGTH:
        raise InvalidInput(f"The property value may be at most {MAX_VALUE_LENGTH} characters of JSON.",
                           field="value")
    found = await session.scalar(select(IssueProperty).where(
        IssueProperty.organization_id == issue.organization_id, IssueProperty.issue_id == issue.id,
        IssueProperty.key == key))
    if found is None:
        session.add(IssueProperty(organization_id=issue.organization_id, issue_id=issue.id, key=key, value=value))
    else:
        found.value = value
    await session.flush()
    return found is None


async def check_delete_issue_property(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                                      key: str) -> None:
    await authorize(session, actor, Permission.EDIT_ISSUES, project)
    found = await get_issue_property(session, issue=issue, key=key)
    await session.execute(delete(IssueProperty).where(IssueProperty.organization_id == found.organization_id,
                                                      IssueProperty.issue_id == found.issue_id,
                                                      IssueProperty.key == found.key))
