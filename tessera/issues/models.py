"""Issues and the facts stored with them: labels, components, versions, custom field values,
links and change history. Comments, watchers, attachments, worklogs and remote links have their
own packages beside this module (tessera.issues.comments and so on)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, TenantMixin, UTCDateTime, utcnow

SUMMARY_MAX = 255
DESCRIPTION_MAX = 32_767 * 4  # Jira's text field limit is 32,767 characters; we allow a little more.
LABEL_MAX = 255


class Issue(IdMixin, TenantMixin, Base):
    __tablename__ = "issues"
    __table_args__ = (
        UniqueConstraint("organization_id", "key"),
        UniqueConstraint("organization_id", "project_id", "number"),
        Index("ix_issues_org_project_status", "organization_id", "project_id", "status_id", "id"),
        Index("ix_issues_org_assignee", "organization_id", "assignee_id"),
        Index("ix_issues_org_updated", "organization_id", "updated_at"),
        Index("ix_issues_org_created", "organization_id", "created_at", "id"),
        Index("ix_issues_org_parent", "organization_id", "parent_id"),
        Index("ix_issues_org_workflow_status", "organization_id", "workflow_id", "status_id"),
        # JQL search (migrations 0004, 0012 and 0013). Trailing columns let counts, semi-joins
        # with id sets and the id-only page query run as index-only scans on PostgreSQL; project_id
        # is there for the project filter most queries (and every restricted user's) carry.
        Index("ix_issues_org_project_updated", "organization_id", "project_id", "updated_at"),
        Index("ix_issues_org_assignee_updated", "organization_id", "assignee_id", "updated_at"),
        Index("ix_issues_org_priority", "organization_id", "priority_id", "project_id", "id"),
        Index("ix_issues_org_due", "organization_id", "due_date", "status_id", "id"),
        Index("ix_issues_org_resolved", "organization_id", "resolved_at", "resolution_id", "id"),
        Index("ix_issues_org_resolution", "organization_id", "resolution_id", "project_id", "id"),
    )

    project_id: Mapped[int] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    key: Mapped[str] = mapped_column(String(32), nullable=False)
    issue_type_id: Mapped[int] = mapped_column(IdType, ForeignKey("issue_types.id"), nullable=False)
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status_id: Mapped[int] = mapped_column(IdType, ForeignKey("statuses.id"), nullable=False)
    priority_id: Mapped[int] = mapped_column(IdType, ForeignKey("priorities.id"), nullable=False)
    resolution_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("resolutions.id"))
    workflow_id: Mapped[int] = mapped_column(IdType, ForeignKey("workflows.id"), nullable=False)
    assignee_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    reporter_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    creator_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("issues.id", ondelete="SET NULL"))
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Time tracking, in seconds (tessera.issues.time_tracking): None is "not estimated" / "no work logged".
    original_estimate: Mapped[int | None] = mapped_column(Integer)
    remaining_estimate: Mapped[int | None] = mapped_column(Integer)
    time_spent: Mapped[int | None] = mapped_column(Integer)
    # Issue security (tessera.tenancy.issue_security): None is visible to whoever may browse the project.
    security_level_id: Mapped[int | None] = mapped_column(IdType)


class IssueLabel(TenantMixin, Base):
    __tablename__ = "issue_labels"
    # By label for `labels = x`; by issue (holding the label) for the views' labels of a page.
    __table_args__ = (Index("ix_issue_labels_org_label", "organization_id", "label", "issue_id"),
                      Index("ix_issue_labels_org_issue", "organization_id", "issue_id", "label"))

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(LABEL_MAX), primary_key=True)


class IssueComponent(TenantMixin, Base):
    __tablename__ = "issue_components"
    __table_args__ = (Index("ix_issue_components_org_component", "organization_id", "component_id"),
                      Index("ix_issue_components_org_issue", "organization_id", "issue_id", "component_id"))

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("components.id", ondelete="CASCADE"), primary_key=True)


class IssueVersion(TenantMixin, Base):
    """`kind` is "fix" (fixVersion) or "affected" (affectedVersion)."""

    __tablename__ = "issue_versions"
    __table_args__ = (Index("ix_issue_versions_org_version", "organization_id", "version_id", "kind", "issue_id"),
                      Index("ix_issue_versions_org_issue", "organization_id", "issue_id", "kind", "version_id"))

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
    version_id: Mapped[int] = mapped_column(IdType, ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)


class CustomFieldValue(IdMixin, TenantMixin, Base):
    """One typed value per row (several rows for a multi-select), so every type stays indexable."""

    __tablename__ = "custom_field_values"
    __table_args__ = (
        Index("ix_cfv_org_issue", "organization_id", "issue_id"),
        Index("ix_cfv_org_field_number", "organization_id", "field_id", "value_number"),
        Index("ix_cfv_org_field_ref", "organization_id", "field_id", "value_ref"),
    )

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    field_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("custom_field_definitions.id", ondelete="CASCADE"), nullable=False)
    value_number: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(Text)
    value_date: Mapped[date | None] = mapped_column(Date)
    value_ref: Mapped[int | None] = mapped_column(IdType)


class IssueLink(IdMixin, TenantMixin, Base):
    """`source` is the outward side: source "blocks" target; target "is blocked by" source."""

    __tablename__ = "issue_links"
    __table_args__ = (
        UniqueConstraint("organization_id", "link_type_id", "source_issue_id", "target_issue_id"),
        # Links of issues by either end, holding what the views read (0020_view_lookup_indexes).
        Index("ix_issue_links_org_source", "organization_id", "source_issue_id", "target_issue_id", "link_type_id"),
        Index("ix_issue_links_org_target", "organization_id", "target_issue_id", "source_issue_id", "link_type_id"),
    )

    link_type_id: Mapped[int] = mapped_column(IdType, ForeignKey("link_types.id", ondelete="CASCADE"), nullable=False)
    source_issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    target_issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    creator_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))


class ChangeGroup(IdMixin, TenantMixin, Base):
    """One edit by one author at one moment; Jira's changelog "history"."""

    __tablename__ = "change_groups"
    __table_args__ = (Index("ix_change_groups_org_issue", "organization_id", "issue_id", "created_at"),)

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class ChangeItem(IdMixin, TenantMixin, Base):
    """A field's from/to in one change group. Raw values (ids) and display strings are both kept,
    as Jira does, so history reads well and WAS/CHANGED can match either."""

    __tablename__ = "change_items"
    __table_args__ = (
        Index("ix_change_items_org_group", "organization_id", "group_id"),
        Index("ix_change_items_org_issue", "organization_id", "issue_id"),
        Index("ix_change_items_org_field_issue", "organization_id", "field_id", "issue_id"),
        Index("ix_change_items_org_field_created", "organization_id", "field_id", "created_at"),
    )

    group_id: Mapped[int] = mapped_column(IdType, ForeignKey("change_groups.id", ondelete="CASCADE"), nullable=False)
    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    field: Mapped[str] = mapped_column(String(255), nullable=False)
    field_id: Mapped[str] = mapped_column(String(64), nullable=False)
    field_type: Mapped[str] = mapped_column(String(16), nullable=False, default="jira")
    from_value: Mapped[str | None] = mapped_column(Text)
    from_string: Mapped[str | None] = mapped_column(Text)
    to_value: Mapped[str | None] = mapped_column(Text)
    to_string: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
