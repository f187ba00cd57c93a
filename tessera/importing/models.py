"""What an import brought in: each external object (by its source site, kind and id) and the
Tessera row it became, with a fingerprint of what it was, so importing again updates what
changed, duplicates nothing, and a killed run resumes after the chunks that committed."""

from __future__ import annotations

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, TenantMixin


class ImportMapping(IdMixin, TenantMixin, Base):
    """`kind` is "issue", "comment", "history", "worklog", "project", "version", "component",
    "user"...; `external_id` is the source's id (Jira's numeric id, or a key where it has none)."""

    __tablename__ = "import_mappings"
    __table_args__ = (
        UniqueConstraint("organization_id", "site", "kind", "external_id"),
        Index("ix_import_mappings_org_local", "organization_id", "kind", "local_id"),
    )

    site: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    external_id: Mapped[str] = mapped_column(String(255), nullable=False)
    local_id: Mapped[int] = mapped_column(IdType, nullable=False)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
