"""How many issues name a version: fixed in it, affected by it, and still unresolved (Jira's
version related and unresolved issue counts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.issues.models import Issue, IssueVersion
from tessera.projects.models import Version


@dataclass(frozen=True)
class VersionCounts:
    fixed: int
    affected: int
    unresolved: int  # issues that name it as fix version and are not resolved


async def version_counts(session: AsyncSession, version: Version) -> VersionCounts:
    org = version.organization_id
    rows = dict((await session.execute(select(IssueVersion.kind, func.count()).where(
        IssueVersion.organization_id == org, IssueVersion.version_id == version.id)
        .group_by(IssueVersion.kind))).all())
    unresolved = await session.scalar(select(func.count()).select_from(IssueVersion).join(
        Issue, (Issue.organization_id == IssueVersion.organization_id) & (Issue.id == IssueVersion.issue_id)).where(
        IssueVersion.organization_id == org, IssueVersion.version_id == version.id, IssueVersion.kind == "fix",
        Issue.resolution_id.is_(None)))
    return VersionCounts(fixed=int(rows.get("fix", 0)), affected=int(rows.get("affected", 0)),
                         unresolved=int(unresolved or 0))
