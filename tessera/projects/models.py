"""Projects and the per-organization catalogs their issues draw from."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import (
    Base,
    IdMixin,
    IdType,
    JsonType,
    TenantMixin,
    TimestampMixin,
)

PROJECT_TYPES = ("software", "business", "service_desk")
CUSTOM_FIELD_TYPES = ("number", "text", "select", "multi_select", "date", "user", "sprint")


class Project(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    key: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    project_type: Mapped[str] = mapped_column(String(32), nullable=False, default="software")
    lead_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    # "open": every member of the organization may browse; "private": project roles only.
    access: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    default_workflow_id: Mapped[int | None] = mapped_column(IdType)
    workflow_scheme_id: Mapped[int | None] = mapped_column(IdType)
    permission_scheme_id: Mapped[int | None] = mapped_column(IdType)
    issue_security_scheme_id: Mapped[int | None] = mapped_column(IdType)
    issue_type_scheme_id: Mapped[int | None] = mapped_column(IdType)
    issue_counter: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class Component(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "components"
    __table_args__ = (UniqueConstraint("organization_id", "project_id", "name"),)

    project_id: Mapped[int] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    lead_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))


class Version(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("organization_id", "project_id", "name"),)

    project_id: Mapped[int] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    release_date: Mapped[date | None] = mapped_column(Date)
    released: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Jira's version order (POST /version/{id}/move); unmoved versions keep the name order after the moved.
    position: Mapped[int | None] = mapped_column(Integer)


class IssueType(IdMixin, TenantMixin, Base):
    __tablename__ = "issue_types"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # 1 = epic, 0 = standard, -1 = sub-task: decides which parents an issue may have.
    hierarchy_level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    icon: Mapped[str] = mapped_column(String(32), nullable=False, default="task")

    @property
    def subtask(self) -> bool:
        return self.hierarchy_level < 0


class Priority(IdMixin, TenantMixin, Base):
    __tablename__ = "priorities"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    color: Mapped[str] = mapped_column(String(16), nullable=False, default="#888888")
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class Resolution(IdMixin, TenantMixin, Base):
    __tablename__ = "resolutions"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")


class CustomFieldDefinition(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (UniqueConstraint("organization_id", "key"), UniqueConstraint("organization_id", "name"))

    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    field_type: Mapped[str] = mapped_column(String(32), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Empty lists mean "every project" / "every issue type".
    project_ids: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    issue_type_ids: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)


class CustomFieldOption(IdMixin, TenantMixin, Base):
    __tablename__ = "custom_field_options"
    __table_args__ = (UniqueConstraint("organization_id", "field_id", "value"),)

    field_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("custom_field_definitions.id", ondelete="CASCADE"), nullable=False)
    value: Mapped[str] = mapped_column(String(255), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class LinkType(IdMixin, TenantMixin, Base):
    __tablename__ = "link_types"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    outward: Mapped[str] = mapped_column(String(64), nullable=False)
    inward: Mapped[str] = mapped_column(String(64), nullable=False)
