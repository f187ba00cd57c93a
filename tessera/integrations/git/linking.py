"""Linking what a host reported to the issues its text names, once each, and running what the
links set off: smart commits of a commit seen for the first time, and the project's rules when a
pull request is opened or merged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.db.base import utcnow
from tessera.db.insert_ignoring import insert_ignoring
from tessera.integrations.git.keys import issues_by_key, keys_in
from tessera.integrations.git.models import DevBranch, DevCommit, DevPullRequest, GitConnection
from tessera.integrations.git.payloads import Commit, PullRequest, Push
from tessera.integrations.git.smart_commits import Command, Outcome, commands_for, parse_smart_commit, run_commands
from tessera.issues.models import Issue
from tessera.projects.models import Project
from tessera.tenancy.models import User
from tessera.webhooks.owners import owner_actor

# Where each host shows a branch, below the repository's URL.
_BRANCH_PATH = {"github": "/tree/", "gitlab": "/-/tree/", "bitbucket": "/branch/", "gitea": "/src/branch/"}


def _branch_url(connection: GitConnection, repository_url: str | None, branch: str) -> str | None:
    return f"{repository_url.rstrip('/')}{_BRANCH_PATH[connection.provider]}{branch}" if repository_url else None


def _insert(session: AsyncSession, model: type, keys: list[str]):  # type: ignore[no-untyped-def]
    return insert_ignoring(session.get_bind().dialect.name, model.__table__, index_elements=keys)


async def link_push(session: AsyncSession, *, connection: GitConnection, push: Push) -> dict[str, int]:
    counts = {"branches": 0, "commits": 0}
    branch_issues = await issues_by_key(session, connection.organization_id, keys_in(push.branch))
    now = utcnow()
    for issue in branch_issues.values():
        counts["branches"] += await _upsert_branch(session, connection, push, issue, now)
    for commit in push.commits:
        counts["commits"] += await _link_commit(session, connection, push, commit)
    return counts


async def _upsert_branch(session: AsyncSession, connection: GitConnection, push: Push, issue: Issue,
                         now: datetime) -> int:
    key = dict(issue_id=issue.id, connection_id=connection.id, repository=push.repository, name=push.branch[:500])
    inserted = await session.execute(_insert(session, DevBranch, list(key)).values(
        organization_id=connection.organization_id, **key, deleted=push.deleted,
        url=_branch_url(connection, push.repository_url, push.branch), created_at=now, updated_at=now))
    if inserted.rowcount:
        return 1
    await session.execute(update(DevBranch).where(DevBranch.organization_id == connection.organization_id,
                                                  *(getattr(DevBranch, k) == v for k, v in key.items()))
                          .values(deleted=push.deleted, updated_at=now).execution_options(synchronize_session=False))
    return 0


async def _link_commit(session: AsyncSession, connection: GitConnection, push: Push, commit: Commit) -> int:
    """A commit already linked to an issue (another branch, a force push, a re-sent event) is
    neither linked again nor are its commands run again."""
    issues = await issues_by_key(session, connection.organization_id, keys_in(commit.message))
    if not issues:
        return 0
    lines = parse_smart_commit(commit.message)
    linked = 0
    now = utcnow()
    for key, issue in issues.items():
        inserted = await session.execute(_insert(session, DevCommit, ["issue_id", "sha"]).values(
            organization_id=connection.organization_id, connection_id=connection.id, issue_id=issue.id,
            repository=push.repository, url=commit.url, sha=commit.sha, message=commit.message,
            author_name=(commit.author_name or "")[:255] or None, author_email=(commit.author_email or "")[:320] or None,
            committed_at=commit.timestamp, smart_commit=[], created_at=now, updated_at=now))
        if not inserted.rowcount:
            continue
        linked += 1
        commands = commands_for(lines, key)
        if commands:
            outcomes = await _run_as_author(session, connection, issue, commit, commands)
            await session.execute(update(DevCommit).where(
                DevCommit.organization_id == connection.organization_id, DevCommit.issue_id == issue.id,
                DevCommit.sha == commit.sha).values(smart_commit=[o.as_json() for o in outcomes])
                .execution_options(synchronize_session=False))
    return linked


async def _project_of(session: AsyncSession, issue: Issue) -> Project:
    project = await session.scalar(select(Project).where(Project.organization_id == issue.organization_id,
                                                         Project.id == issue.project_id))
    assert project is not None  # an issue's project cascades with it
    return project


async def _author_id(session: AsyncSession, organization_id: int, email: str | None) -> int | None:
    """The one active user of the organization with this email (users have no verified-email
    flag: an account's email is the one its administrator set and the user signs in with)."""
    if not email:
        return None
    ids = (await session.scalars(select(User.id).where(User.organization_id == organization_id, User.active.is_(True),
                                                       func.lower(User.email) == email.strip().lower()))).all()
    return ids[0] if len(ids) == 1 else None


async def _run_as_author(session: AsyncSession, connection: GitConnection, issue: Issue, commit: Commit,
                         commands: list[Command]) -> list[Outcome]:
    user_id = await _author_id(session, connection.organization_id, commit.author_email)
    actor = await owner_actor(session, connection.organization_id, user_id)
    if actor is None:
        who = commit.author_email or "no email"
        return [Outcome(f"#{c.name}", False, f"No active user has the commit author's email ({who}); nothing ran.")
                for c in commands]
    return await run_commands(session, actor=actor, issue=issue, project=await _project_of(session, issue),
                              commands=commands)


async def link_pull_request(session: AsyncSession, *, connection: GitConnection, pull: PullRequest) -> dict[str, int]:
    issues = await issues_by_key(session, connection.organization_id,
                                 keys_in(pull.title, pull.source_branch, pull.body))
    linked = 0
    now = utcnow()
    for issue in issues.values():
        row = await session.scalar(select(DevPullRequest).where(
            DevPullRequest.organization_id == connection.organization_id, DevPullRequest.issue_id == issue.id,
            DevPullRequest.connection_id == connection.id, DevPullRequest.repository == pull.repository,
            DevPullRequest.number == pull.number))
        if row is None:
            row = DevPullRequest(organization_id=connection.organization_id, connection_id=connection.id,
                                 issue_id=issue.id, repository=pull.repository, number=pull.number, reviews=[],
                                 rule_results=[], created_at=now)
            session.add(row)
            linked += 1
        row.title, row.state, row.url = pull.title[:10_000], pull.state, pull.url
        row.source_branch, row.destination_branch = pull.source_branch, pull.destination_branch
        row.author, row.updated_at = (pull.author or "")[:255] or None, now
        if pull.review is not None:
            reviewer, verdict = pull.review
            row.reviews = [r for r in row.reviews if r.get("reviewer") != reviewer] + [
                {"reviewer": reviewer, "state": verdict}]
        await session.flush()
        if pull.action in ("opened", "merged"):
            results = await _run_rules(session, connection, issue, pull.action)
            if results:
                row.rule_results = [*row.rule_results, *results][-20:]
                await session.flush()
    return {"pull_requests": linked}


async def _run_rules(session: AsyncSession, connection: GitConnection, issue: Issue, action: str) -> list[dict]:
    """The connection's rules for the issue's project, as the connection's owner (a gone owner
    runs nothing, and says so)."""
    project = await _project_of(session, issue)
    rules = [r for r in connection.rules or [] if r["project"] == project.key and r["on"] == action]
    if not rules:
        return []
    actor = await owner_actor(session, connection.organization_id, connection.owner_id)
    results = []
    for rule in rules:
        label = f"{action} -> {rule['transition']}"
        if actor is None:
            results.append({"rule": label, "ok": False, "detail": "The connection's owner is gone; nothing ran."})
            continue
        outcome = await run_commands(session, actor=actor, issue=issue, project=project,
                                     commands=[Command(rule["transition"], "")])
        results.append({"rule": label, "ok": outcome[0].ok, "detail": outcome[0].detail})
    return results
