"""A browser's push subscription: where its push service accepts messages for it (`endpoint`)
and the keys that encrypt them for that browser alone (RFC 8291: `p256dh`, `auth`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, TenantMixin, UTCDateTime, utcnow


class PushSubscription(IdMixin, TenantMixin, Base):
    __tablename__ = "push_subscriptions"
    __table_args__ = (
        # One row per browser endpoint in an organization: subscribing again (new keys, or another
        # user signed in on the same browser) replaces it. Endpoints run to ~500 characters, so the
        # unique index is on their SHA-256.
        UniqueConstraint("organization_id", "endpoint_hash"),
        # The sender's and the directory's lookup: a user's browsers.
        Index("ix_push_subscriptions_user", "organization_id", "user_id"),
    )

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    endpoint: Mapped[str] = mapped_column(Text, nullable=False)
    endpoint_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    p256dh: Mapped[str] = mapped_column(String(200), nullable=False)
    auth: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
