"""Where Slack messages go: a user's own incoming webhook, or a project's channel webhook. The
webhook URL is a bearer secret (anyone holding it may post), so it is stored encrypted and only
a hint of it is ever shown."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, TenantMixin, TimestampMixin


class SlackTarget(IdMixin, TenantMixin, TimestampMixin, Base):
    """Exactly one of `user_id` and `project_id` is set (the service writes nothing else)."""

    __tablename__ = "slack_targets"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"), UniqueConstraint("organization_id", "project_id"))

    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"))
    url_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    url_hint: Mapped[str] = mapped_column(String(120), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
