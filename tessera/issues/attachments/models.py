"""Attachments and each organization's storage use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, TenantMixin, UTCDateTime, utcnow

FILENAME_MAX = 255


class Attachment(IdMixin, TenantMixin, Base):
    """A file on an issue. The bytes live in the object store under `storage_key`; `content_type`
    is what Tessera sniffed from them and serves, `declared_content_type` what the client claimed."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_org_issue", "organization_id", "issue_id", "created_at"),)

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX), nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    declared_content_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(512), nullable=False)
    author_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class OrganizationStorage(Base):
    """Bytes an organization's attachments use. Changed only by single guarded UPDATEs in the
    transaction that adds or removes attachments, so concurrent uploads cannot pass the quota."""

    __tablename__ = "organization_storage"

    organization_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    used_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
