"""The transactional outbox: events are rows written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, UTCDateTime, utcnow
from tessera.events import types


class OutboxEvent(IdMixin, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_pending", "processed_at", "id"),
        Index("ix_outbox_org_created", "organization_id", "created_at"),
    )

    # Not a foreign key: events outlive nothing, but must not block deleting an organization's rows.
    organization_id: Mapped[int] = mapped_column(IdType, nullable=False)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    aggregate_type: Mapped[str] = mapped_column(String(32), nullable=False)
    aggregate_id: Mapped[int] = mapped_column(IdType, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(IdType)
    payload: Mapped[dict] = mapped_column(JsonType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def event_class(self) -> type[types.DomainEvent]:
        """What consumers match on, as on an event just emitted (outbox.EmittedEvent)."""
        return types.event_class(self.event_type)

    @property
    def event(self) -> types.DomainEvent:
        return types.event_from_record(self.event_type, self.payload)
