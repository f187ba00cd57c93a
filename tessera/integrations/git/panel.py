"""The git sections of an issue's development panel: branches, commits, pull requests, newest
first, each with the link to it on its host."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.integrations.git.models import DevBranch, DevCommit, DevPullRequest, GitConnection

# A panel lists the latest; an issue named by thousands of commits still answers quickly.
LIMIT = 200


def _iso(value) -> str | None:  # type: ignore[no-untyped-def]
    return value.isoformat() if value is not None else None


async def git_development(session: AsyncSession, *, organization_id: int, issue_id: int) -> dict[str, list]:
    scope = dict(organization_id=organization_id, issue_id=issue_id)
    providers = dict((await session.execute(select(GitConnection.id, GitConnection.provider).where(
        GitConnection.organization_id == organization_id))).all())
    branches = (await session.scalars(select(DevBranch).filter_by(**scope)
                                      .order_by(DevBranch.updated_at.desc(), DevBranch.id.desc()).limit(LIMIT))).all()
    commits = (await session.scalars(select(DevCommit).filter_by(**scope).order_by(
        DevCommit.committed_at.desc().nulls_last(), DevCommit.id.desc()).limit(LIMIT))).all()
    pulls = (await session.scalars(select(DevPullRequest).filter_by(**scope)
                                   .order_by(DevPullRequest.updated_at.desc(), DevPullRequest.id.desc())
                                   .limit(LIMIT))).all()
    return {
        "branches": [{"name": b.name, "repository": b.repository, "url": b.url, "deleted": b.deleted,
                      "provider": providers.get(b.connection_id), "updated": _iso(b.updated_at)} for b in branches],
        "commits": [{"id": c.sha, "message": c.message, "url": c.url, "repository": c.repository,
                     "author": {"name": c.author_name, "email": c.author_email}, "timestamp": _iso(c.committed_at),
                     "provider": providers.get(c.connection_id), "smart_commit": list(c.smart_commit or [])}
                    for c in commits],
        "pull_requests": [{"id": p.number, "title": p.title, "state": p.state, "url": p.url,
                           "repository": p.repository, "source_branch": p.source_branch,
                           "destination_branch": p.destination_branch, "author": p.author,
                           "reviews": list(p.reviews or []), "rules": list(p.rule_results or []),
                           "provider": providers.get(p.connection_id), "updated": _iso(p.updated_at)}
                          for p in pulls],
    }
