"""Issues as board cards: the few fields a card shows, for many issues in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.fields import AgileFields, estimates_of, sprints_of
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog
from tessera.issues.security import readable_issue_conditions
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User


async def _epics(session: AsyncSession, actor: Actor, catalog: OrgCatalog, issues: Sequence[Issue]
                 ) -> dict[int, dict[str, Any]]:
    """{issue id: its epic} where the parent is an epic, or a sub-task's parent's parent is, and the
    actor may see the epic (its project and its security level): a card names no hidden epic."""
    organization_id = actor.organization_id
    epic_types = {t.id for t in catalog.issue_types if t.hierarchy_level > 0}
    parents: dict[int, tuple[int, str, str, int, int | None]] = {}
    wanted = {issue.parent_id for issue in issues if issue.parent_id}
    for _ in range(2):  # parents, then the parents' parents (for sub-tasks)
        wanted -= set(parents)
        if not wanted:
            break
        rows = await session.execute(select(Issue.id, Issue.key, Issue.summary, Issue.issue_type_id,
                                            Issue.parent_id).where(Issue.organization_id == organization_id,
                                                                   Issue.id.in_(sorted(wanted))))
        for row in rows.all():
            parents[row.id] = tuple(row)  # type: ignore[assignment]
        wanted = {row[4] for row in parents.values() if row[4]}
    epics: dict[int, dict[str, Any]] = {}
    for issue in issues:
        parent = parents.get(issue.parent_id or 0)
        if parent is not None and parent[3] not in epic_types:
            parent = parents.get(parent[4] or 0)
        if parent is not None and parent[3] in epic_types:
            epics[issue.id] = {"id": parent[0], "key": parent[1], "summary": parent[2]}
    return await _seen(session, actor, epics)


async def _seen(session: AsyncSession, actor: Actor, epics: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    epic_ids = {epic["id"] for epic in epics.values()}
    if not epic_ids:
        return epics
    seen = set((await session.scalars(select(Issue.id).where(
        *await readable_issue_conditions(session, actor), Issue.id.in_(sorted(epic_ids))))).all())
    return {issue_id: epic for issue_id, epic in epics.items() if epic["id"] in seen}


async def render_cards(session: AsyncSession, *, actor: Actor, catalog: OrgCatalog, fields: AgileFields,
                       issues: Sequence[Issue], ranks: dict[int, str]) -> list[dict[str, Any]]:
    organization_id = actor.organization_id
    ids = [issue.id for issue in issues]
    assignee_ids = {issue.assignee_id for issue in issues if issue.assignee_id}
    users = dict((await session.execute(select(User.id, User.display_name).where(
        User.organization_id == organization_id, User.id.in_(sorted(assignee_ids))))).all()) if assignee_ids else {}
    estimates = await estimates_of(session, organization_id, fields, ids)
    sprints = await sprints_of(session, organization_id, fields, ids)
    epics = await _epics(session, actor, catalog, issues)
    cards = []
    for issue in issues:
        status, issue_type, priority = (catalog.status(issue.status_id), catalog.issue_type(issue.issue_type_id),
                                        catalog.priority(issue.priority_id))
        cards.append({
            "id": issue.id, "key": issue.key, "summary": issue.summary,
            "issue_type": {"id": issue_type.id, "name": issue_type.name, "subtask": issue_type.subtask},
            "status": {"id": status.id, "name": status.name, "category": status.category},
            "priority": {"id": priority.id, "name": priority.name},
            "assignee": {"id": issue.assignee_id, "display_name": users.get(issue.assignee_id, "")}
            if issue.assignee_id else None,
            "estimate": estimates.get(issue.id), "sprint_id": sprints.get(issue.id), "epic": epics.get(issue.id),
            "parent_id": issue.parent_id, "rank": ranks.get(issue.id), "version": issue.version,
        })
    return cards
