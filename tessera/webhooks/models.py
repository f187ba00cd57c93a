"""An organization's outgoing webhooks: where to POST which events, filtered by JQL.

The signing secret is stored encrypted (tessera.crypto.secret_box) and shown once, when the
webhook is created. `owner_id`: whose sight the JQL filter runs with (a webhook never carries
an issue its owner may not browse); a deleted owner leaves the webhook silent, not wider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, TenantMixin, TimestampMixin, UTCDateTime


class Webhook(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "webhooks"
    # The fan-out reads an organization's enabled webhooks on every event.
    __table_args__ = (Index("ix_webhooks_org_enabled", "organization_id", "enabled"),)

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    # Jira webhookEvent names, sorted.
    events: Mapped[list] = mapped_column(JsonType, nullable=False)
    jql: Mapped[str] = mapped_column(Text, nullable=False, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    exclude_body: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    owner_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
