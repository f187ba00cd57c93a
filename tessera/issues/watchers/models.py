"""Who watches an issue and who voted for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from tessera.db.base import Base, IdType, TenantMixin, UTCDateTime, utcnow


class UserMarkOnIssue(TenantMixin):
    """A user's mark on an issue, at most one per user: the same columns and keys for watches and
    votes. The (organization_id, user_id) index answers watchedIssues() and `watcher = X` (and
    `voter = X`)."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (PrimaryKeyConstraint("organization_id", "issue_id", "user_id"),
                Index(f"ix_{cls.__tablename__}_org_user", "organization_id", "user_id"))

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class IssueWatcher(UserMarkOnIssue, Base):
    __tablename__ = "issue_watchers"


class IssueVote(UserMarkOnIssue, Base):
    __tablename__ = "issue_votes"
