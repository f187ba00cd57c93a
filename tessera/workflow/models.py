"""Statuses and workflow definitions. The engine that plans transitions builds on these."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, TenantMixin, TimestampMixin

STATUS_CATEGORIES = ("todo", "in_progress", "done")
CATEGORY_NAMES = {"todo": "To Do", "in_progress": "In Progress", "done": "Done"}


class Status(IdMixin, TenantMixin, Base):
    __tablename__ = "statuses"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Workflow(IdMixin, TenantMixin, TimestampMixin, Base):
    """`definition` holds statuses (by id), the initial status and the transitions."""

    __tablename__ = "workflows"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    definition: Mapped[dict] = mapped_column(JsonType, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Edits to a published workflow wait here until published (with a status mapping if needed).
    draft: Mapped[dict | None] = mapped_column(JsonType)


class WorkflowScheme(IdMixin, TenantMixin, TimestampMixin, Base):
    """Maps issue types to workflows for the projects that use it; `mappings` is
    {issue_type_id (as text): workflow_id}; unmapped types use `default_workflow_id`."""

    __tablename__ = "workflow_schemes"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    default_workflow_id: Mapped[int] = mapped_column(IdType, ForeignKey("workflows.id"), nullable=False)
    mappings: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
