"""Issue facts from Git data for JQL's `development[branches|commits|pullrequests]` counts:
rows of the link tables of one organization, one row per branch, commit or pull request linked
to an issue (tessera.jql.development.CountRows; registered by
tessera.integrations.development_facts). Each reads its table's (organization_id, issue_id) index."""

from __future__ import annotations

from sqlalchemy import Select, select

from tessera.integrations.git.models import DevBranch, DevCommit, DevPullRequest


def commit_rows(organization_id: int) -> Select:  # type: ignore[type-arg]
    """A commit naming two issues is a row for each; one issue never has the same SHA twice."""
    return select(DevCommit.issue_id).where(DevCommit.organization_id == organization_id)


def branch_rows(organization_id: int) -> Select:  # type: ignore[type-arg]
    """Branches still on the host: a deleted one stays on the panel (marked) but is not counted."""
    return select(DevBranch.issue_id).where(DevBranch.organization_id == organization_id,
                                            DevBranch.deleted.is_(False))


def pull_request_rows(organization_id: int, *, state: str | None = None) -> Select:  # type: ignore[type-arg]
    """`state` open, merged or declined; None counts them all."""
    query = select(DevPullRequest.issue_id).where(DevPullRequest.organization_id == organization_id)
    return query if state is None else query.where(DevPullRequest.state == state)
