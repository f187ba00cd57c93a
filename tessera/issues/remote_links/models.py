"""Links from issues to remote resources (Jira's remote issue links: a URL with a title, status
and application)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, TenantMixin, UTCDateTime, utcnow


class RemoteLink(IdMixin, TenantMixin, Base):
    """`link_object` is Jira's `object` ({url, title, summary, icon, status}); `global_id`, when
    given, identifies the link on its issue (posting the same one again updates it)."""

    __tablename__ = "remote_links"
    __table_args__ = (Index("ix_remote_links_org_issue", "organization_id", "issue_id", "global_id"),)

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    global_id: Mapped[str | None] = mapped_column(String(255))
    relationship: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    link_object: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    application: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
