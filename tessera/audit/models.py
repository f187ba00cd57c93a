"""The audit log's tables: the append-only records and, per organization, the chain's head.

`audit_records` is append-only: the application inserts rows and (retention aside) never
updates or deletes one. `audit_chains` holds one row per organization: the last sequence and
hash written (the row every append locks for the few statements before COMMIT, see
tessera.audit.chain), the retention setting, and the checkpoint left by retention (the last
purged record's sequence and hash), from which verification starts again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, UTCDateTime


class AuditRecord(IdMixin, Base):
    __tablename__ = "audit_records"
    __table_args__ = (
        UniqueConstraint("organization_id", "sequence"),
        Index("ix_audit_records_org_at", "organization_id", "at"),
        Index("ix_audit_records_org_action", "organization_id", "action", "sequence"),
    )

    # Not a foreign key (as the outbox): a record must outlive nothing it names.
    organization_id: Mapped[int] = mapped_column(IdType, nullable=False)
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    actor_user_id: Mapped[int | None] = mapped_column(IdType)
    actor_token_id: Mapped[int | None] = mapped_column(IdType)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    request_id: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(96), nullable=False)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(IdType)
    object_key: Mapped[str | None] = mapped_column(String(255))
    changes: Mapped[dict] = mapped_column(JsonType, nullable=False)
    previous_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditChain(Base):
    __tablename__ = "audit_chains"

    organization_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # None: keep every record forever.
    retention_days: Mapped[int | None] = mapped_column(Integer)
    checkpoint_sequence: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    checkpoint_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    checkpoint_note: Mapped[str | None] = mapped_column(Text)
