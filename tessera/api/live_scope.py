"""What a live subscription names, resolved the same way whichever transport carries it (the
/v2 WebSocket or a GraphQL subscription): an issue or a project the subscriber may browse."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.collaboration.live.registry import Scope
from tessera.issues.service import access_issue
from tessera.projects.service import access_project
from tessera.tenancy.actor import Actor


async def access_live_scope(session: AsyncSession, actor: Actor, kind: str, ref: str) -> Scope:
    """`kind` is "issue" or "project"; invisible ones are NotFound, as everywhere."""
    if kind == "issue":
        issue, project = await access_issue(session, actor, ref)
        return Scope(kind="issue", organization_id=actor.organization_id, project_id=project.id, issue_id=issue.id)
    project = await access_project(session, actor, ref)
    return Scope(kind="project", organization_id=actor.organization_id, project_id=project.id)
