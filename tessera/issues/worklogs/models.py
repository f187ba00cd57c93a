"""Work logged on issues (Jira's time tracking worklogs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, TenantMixin, UTCDateTime, utcnow


class Worklog(IdMixin, TenantMixin, Base):
    """`time_spent_seconds` of work started at `started_at`, by `author_id`."""

    __tablename__ = "worklogs"
    __table_args__ = (Index("ix_worklogs_org_issue", "organization_id", "issue_id", "started_at"),)

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    update_author_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    time_spent_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
