"""One row per (issue, key): the JSON value scripts and apps keep on an issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdType, JsonType, TenantMixin, UTCDateTime, utcnow


class IssueProperty(TenantMixin, Base):
    __tablename__ = "issue_properties"

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
