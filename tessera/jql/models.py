"""Saved filters: a named JQL query with an owner, shares and favourites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import (
    Base,
    IdMixin,
    IdType,
    TenantMixin,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)

SHARE_TYPES = ("organization", "project", "project_role", "group", "user")


class SavedFilter(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("organization_id", "owner_id", "name"),
                      Index("ix_saved_filters_org_name", "organization_id", "name"))

    owner_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    jql: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class FilterShare(IdMixin, TenantMixin, Base):
    """Who else may see a filter: the organization, a project's browsers, a project role, a
    group or one user (`share_type` says which of the other columns is set)."""

    __tablename__ = "filter_shares"
    __table_args__ = (Index("ix_filter_shares_org_filter", "organization_id", "filter_id"),)

    filter_id: Mapped[int] = mapped_column(IdType, ForeignKey("saved_filters.id", ondelete="CASCADE"), nullable=False)
    share_type: Mapped[str] = mapped_column(String(16), nullable=False)
    project_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(32))
    group_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))


class FilterFavourite(TenantMixin, Base):
    __tablename__ = "filter_favourites"
    __table_args__ = (Index("ix_filter_favourites_org_user", "organization_id", "user_id"),)

    filter_id: Mapped[int] = mapped_column(IdType, ForeignKey("saved_filters.id", ondelete="CASCADE"),
                                           primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class IssueValueSpan(TenantMixin, Base):
    """One value a field held on an issue, from `started_at` until `ended_at` (NULL: still held),
    and who set it (NULL for the value the issue was created with): the change history of the
    fields WAS can ask about, shaped so that `status WAS "In Progress" DURING (a, b)` is one
    index range instead of a replay of every issue's history. Every issue has spans for every
    such field from its creation on. Written by triggers on issues and change_items
    (tessera.jql.value_spans), so every writer of history keeps it in step. `first_held`: the
    issue's first span with this value, so "ever held v" is counted without a DISTINCT.

    A span has no identity of its own and the table no primary key: it is only ever found by
    its issue or its value (the two indexes), and a bulk load writes millions at a time. The
    mapper's key is for SQLAlchemy alone."""

    __tablename__ = "issue_value_spans"
    __table_args__ = (
        Index("ix_issue_value_spans_org_field_value", "organization_id", "field_id", "value", "issue_id",
              "first_held", postgresql_include=["started_at", "ended_at", "set_by"]),
        Index("ix_issue_value_spans_org_issue_field", "organization_id", "issue_id", "field_id"),
    )
    __mapper_args__ = {"primary_key": ("organization_id", "issue_id", "field_id", "started_at")}

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    field_id: Mapped[str] = mapped_column(String(64), nullable=False)
    value: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    set_by: Mapped[int | None] = mapped_column(IdType)
    first_held: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
