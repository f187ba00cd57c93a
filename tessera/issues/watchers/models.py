"""Who watches an issue and who voted for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdType, TenantMixin, UTCDateTime, utcnow


class IssueWatcher(TenantMixin, Base):
    """The (organization_id, user_id) index answers watchedIssues() and `watcher = X`."""

    __tablename__ = "issue_watchers"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "issue_id", "user_id"),
        Index("ix_issue_watchers_org_user", "organization_id", "user_id"),
    )

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class IssueVote(TenantMixin, Base):
    __tablename__ = "issue_votes"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "issue_id", "user_id"),
        Index("ix_issue_votes_org_user", "organization_id", "user_id"),
    )

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
