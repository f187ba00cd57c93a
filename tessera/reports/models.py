"""Dashboards: a named layout of gadgets with an owner, shared as saved filters are."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tessera.db.base import Base, IdMixin, IdType, JsonType, TenantMixin, TimestampMixin
from tessera.issues.comments.models import Comment
from tessera.issues.models import ChangeGroup


class Dashboard(IdMixin, TenantMixin, TimestampMixin, Base):
    """`layout`: {"columns": n, "gadgets": [{"id", "type", "title", "column", "row", "config"}]},
    checked against the gadget registry (tessera.reports.gadgets) whenever it is saved."""

    __tablename__ = "dashboards"
    __table_args__ = (Index("ix_dashboards_org_owner", "organization_id", "owner_id"),
                      Index("ix_dashboards_org_name", "organization_id", "name"))

    owner_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    layout: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class DashboardShare(IdMixin, TenantMixin, Base):
    """Who else may see a dashboard, as FilterShare: the organization, a project's browsers, a
    project role, a group or one user (`share_type` says which of the other columns is set)."""

    __tablename__ = "dashboard_shares"
    __table_args__ = (Index("ix_dashboard_shares_org_dashboard", "organization_id", "dashboard_id"),)

    dashboard_id: Mapped[int] = mapped_column(IdType, ForeignKey("dashboards.id", ondelete="CASCADE"),
                                              nullable=False)
    share_type: Mapped[str] = mapped_column(String(16), nullable=False)
    project_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(32))
    group_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="CASCADE"))


# The activity stream reads an organization's latest change groups and comments, newest first:
# these let PostgreSQL walk them backwards from the newest (0.2 ms) instead of sorting all of an
# organization's history (75 ms at 200,000 change groups). Declared here, with the feature that
# needs them (migration 0009), on tables owned by tessera.issues.
Index("ix_change_groups_org_created", ChangeGroup.__table__.c.organization_id, ChangeGroup.__table__.c.created_at)
Index("ix_comments_org_created", Comment.__table__.c.organization_id, Comment.__table__.c.created_at)
