"""Git connections and what their hosts told us, linked to issues.

A connection belongs to one organization and, when `repository` is set, accepts only that
repository's events. Its secret is stored encrypted (tessera.crypto.secret_box) and shown once.
Branches, commits and pull requests are stored once per issue they name (the same commit naming
two issues is two rows), which makes the development panel one indexed read per section and
deduplication a unique constraint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, TenantMixin, TimestampMixin, UTCDateTime, utcnow

PROVIDERS = ("github", "gitlab", "bitbucket", "gitea")


class GitConnection(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "git_connections"

    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # "owner/name" as the host spells it; None accepts every repository the host sends.
    repository: Mapped[str | None] = mapped_column(String(500))
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    # Who created it: pull-request rules run with this user's permissions (as webhooks' owners).
    owner_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    # [{"project": "PROJ", "on": "opened"|"merged", "transition": "In Review"}]
    rules: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)


class GitDeliverySeen(TenantMixin, Base):
    """Delivery ids a connection already accepted: a replayed request is refused. The latest one
    is when the connection last received an event (the settings page shows it)."""

    __tablename__ = "git_deliveries_seen"
    __table_args__ = (UniqueConstraint("connection_id", "delivery_id"),
                      Index("ix_git_deliveries_seen_latest", "connection_id", "received_at"))

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    connection_id: Mapped[int] = mapped_column(IdType, ForeignKey("git_connections.id", ondelete="CASCADE"),
                                               nullable=False)
    delivery_id: Mapped[str] = mapped_column(String(200), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class _Linked(TenantMixin):
    """Rows linking a host's object to one issue."""

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    connection_id: Mapped[int] = mapped_column(IdType, ForeignKey("git_connections.id", ondelete="CASCADE"),
                                               nullable=False)
    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    repository: Mapped[str] = mapped_column(String(500), nullable=False)
    url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class DevBranch(_Linked, Base):
    __tablename__ = "dev_branches"
    __table_args__ = (UniqueConstraint("issue_id", "connection_id", "repository", "name"),
                      Index("ix_dev_branches_issue", "organization_id", "issue_id"))

    name: Mapped[str] = mapped_column(String(500), nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class DevCommit(_Linked, Base):
    __tablename__ = "dev_commits"
    __table_args__ = (UniqueConstraint("issue_id", "sha"), Index("ix_dev_commits_issue", "organization_id", "issue_id"))

    sha: Mapped[str] = mapped_column(String(64), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    author_name: Mapped[str | None] = mapped_column(String(255))
    author_email: Mapped[str | None] = mapped_column(String(320))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What its smart-commit commands did for this issue: [{"command", "ok", "detail"}].
    smart_commit: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)


class DevPullRequest(_Linked, Base):
    __tablename__ = "dev_pull_requests"
    __table_args__ = (UniqueConstraint("issue_id", "connection_id", "repository", "number"),
                      Index("ix_dev_pull_requests_issue", "organization_id", "issue_id"))

    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    # open | merged | declined (closed unmerged)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    source_branch: Mapped[str | None] = mapped_column(String(500))
    destination_branch: Mapped[str | None] = mapped_column(String(500))
    author: Mapped[str | None] = mapped_column(String(255))
    # The latest review of each reviewer: [{"reviewer", "state"}].
    reviews: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    # What the project's rules did: [{"rule", "ok", "detail"}].
    rule_results: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
