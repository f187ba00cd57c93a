"""Live-update tickets: short-lived, single-use credentials for opening a WebSocket from a
browser, where headers cannot be set. Stored (as digests) so that any server process can redeem
a ticket another one issued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdType, TenantMixin, UTCDateTime


class LiveTicket(TenantMixin, Base):
    __tablename__ = "live_tickets"

    # The primary key leads with organization_id, as every index does: the ticket text names its
    # organization, so redeeming it is a key lookup.
    organization_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
