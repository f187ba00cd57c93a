"""Notification schemes (who gets what, per project), per-user preferences and mutes, the in-app
inbox, and the fan-out's record of the events it has handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, TenantMixin, TimestampMixin, UTCDateTime, utcnow


class NotificationScheme(IdMixin, TenantMixin, TimestampMixin, Base):
    """A project's own scheme; a project without a row uses the default scheme (data in code,
    tessera.notifications.schemes.DEFAULT_SCHEME). `rules`: {event kind: [recipient rule, ...]}."""

    __tablename__ = "notification_schemes"
    __table_args__ = (UniqueConstraint("organization_id", "project_id"),)

    project_id: Mapped[int] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    rules: Mapped[dict] = mapped_column(JsonType, nullable=False)


class NotificationPreference(TenantMixin, TimestampMixin, Base):
    """One row per user who changed anything; missing means the defaults
    (tessera.notifications.preferences.DEFAULTS). `settings` is the normalized document."""

    __tablename__ = "notification_preferences"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    settings: Mapped[dict] = mapped_column(JsonType, nullable=False)


class IssueMute(TenantMixin, Base):
    """A user who asked to hear nothing more about an issue (whatever the scheme says)."""

    __tablename__ = "issue_mutes"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "issue_id", "user_id"),)

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class Notification(IdMixin, TenantMixin, Base):
    """An entry of a user's inbox, written by the inbox sender from one delivery (a batch of
    changes to one issue). `delivery_key`, the delivery's idempotency key, makes a repeated send
    write nothing. Not a foreign key to the issue: the entry outlives a deleted issue."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("delivery_key"),
        # The inbox: newest first, and the unread count.
        Index("ix_notifications_user_created", "organization_id", "user_id", "id"),
        Index("ix_notifications_user_unread", "organization_id", "user_id", "read_at"),
    )

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    issue_id: Mapped[int | None] = mapped_column(IdType)
    issue_key: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # issue | digest | overflow
    event: Mapped[str] = mapped_column(String(64), nullable=False)  # the first change's event kind
    event_kinds: Mapped[list] = mapped_column(JsonType, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(IdType)  # the last change's
    changes: Mapped[list] = mapped_column(JsonType, nullable=False)
    delivery_key: Mapped[str] = mapped_column(String(160), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotifiedEvent(Base):
    """An outbox event the fan-out has handled, written in the fan-out's own transaction: when the
    worker dies before settling the event and runs it again, the second run finds this row and
    adds nothing (the deliveries it made are already committed with it)."""

    __tablename__ = "notified_events"

    event_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column(IdType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
