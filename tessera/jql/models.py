"""Saved filters: a named JQL query with an owner, shares and favourites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
