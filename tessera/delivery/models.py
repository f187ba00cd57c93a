"""Deliveries: one row per message that leaves the system (a webhook call, an email, a Slack
message, a push, an inbox entry), so its state survives restarts, and one row per attempt.

States: pending -> sending -> delivered, or -> failed (to be retried at `next_attempt_at`) -> ...
-> dead after the attempt limit or a permanent refusal. A `sending` row whose lease
(`claimed_until`) ran out belongs to a worker that died: it is claimed again, which is why every
delivery carries an idempotency key its receiver can deduplicate on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, TenantMixin, UTCDateTime, utcnow


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    SLACK = "slack"
    PUSH = "push"
    INBOX = "inbox"


class Delivery(IdMixin, TenantMixin, Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        # What the workers claim: due rows by time (pending and failed ones share the index).
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        # The operators' and the history pages' listing: newest first within an organization,
        # optionally of one target (a webhook's history).
        Index("ix_deliveries_org_created", "organization_id", "created_at"),
        Index("ix_deliveries_org_target", "organization_id", "channel", "target_id", "created_at"),
        # Coalescing: the open batch of one recipient, channel and issue.
        Index("ix_deliveries_batch", "batch_key", "state"),
    )

    # The outbox event that caused it (not a foreign key: processed events may be purged first).
    event_id: Mapped[int | None] = mapped_column(IdType)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    # The webhook's id for webhooks, the recipient user's id for notifications.
    target_id: Mapped[int | None] = mapped_column(IdType)
    # What operators read: a webhook's URL, an email address, "slack", "user 12".
    target: Mapped[str] = mapped_column(String(500), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(160), nullable=False)
    batch_key: Mapped[str | None] = mapped_column(String(160))
    payload: Mapped[dict] = mapped_column(JsonType, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryAttempt(IdMixin, TenantMixin, Base):
    """One try at sending: what a webhook's history page lists."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_delivery", "delivery_id", "number"),)

    delivery_id: Mapped[int] = mapped_column(IdType, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    ok: Mapped[bool] = mapped_column(nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_snippet: Mapped[str | None] = mapped_column(Text)
