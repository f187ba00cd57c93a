"""An issue's development panel: what happened to it outside Tessera (branches, commits, pull
requests, builds, deployments).

Each integration contributes sections through one function of the same shape, listed in
SECTIONS (a closed registry: the panel is exactly what is listed here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import NotFound
from tessera.integrations.ci.panel import builds_and_deployments
from tessera.integrations.git.panel import git_development
from tessera.issues.models import Issue
from tessera.tenancy.actor import Actor

Section = Callable[..., Awaitable[dict[str, list]]]  # (session, *, organization_id, issue_id) -> {section: [...]}

SECTIONS: list[Section] = [git_development, builds_and_deployments]

EMPTY = ("branches", "commits", "pull_requests", "builds", "deployments")


async def development_of(session: AsyncSession, actor: Actor, issue: Issue) -> dict[str, list]:
    """`issue` was loaded and authorized for `actor` (tessera.issues.service.access_issue)."""
    if issue.organization_id != actor.organization_id:
        raise NotFound("Issue does not exist or you do not have permission to see it.")
    panel: dict[str, list] = {name: [] for name in EMPTY}
    for section in SECTIONS:
        panel.update(await section(session, organization_id=issue.organization_id, issue_id=issue.id))
    return panel
