"""Sprints, the boards they are planned on, the manual rank of issues and sprint scope changes.

Issue views, issue creation, JQL's sprint functions and the sprint custom field's check read
Sprint and IssueRank from here (import-linter lets them import this module and nothing else of
agile). An issue's sprint is its `sprint` custom field value: the single source of truth for
membership, so history items for sprint changes come with every issue update. What is here
only adds to them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
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
    UTCDateTime,
)

BOARD_TYPES = ("scrum", "kanban")
SWIMLANE_TYPES = ("none", "assignee", "epic", "priority", "queries")
# committed/completed/incomplete are snapshots taken when a sprint starts and completes;
# added/removed/estimate are scope changes while it runs, derived from the issues' history.
SCOPE_CHANGES = ("committed", "added", "removed", "estimate", "completed", "incomplete")
# Ranks compare byte by byte: PostgreSQL's locale collations would reorder them.
RankType = String(255).with_variant(String(255, collation="C"), "postgresql")


class Sprint(IdMixin, TenantMixin, TimestampMixin, Base):
    """A sprint of a project's board; tessera.agile.sprint_planning plans, starts and completes it."""

    __tablename__ = "sprints"
    __table_args__ = (Index("ix_sprints_org_project", "organization_id", "project_id"),)

    project_id: Mapped[int] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="future")
    goal: Mapped[str] = mapped_column(Text, nullable=False, default="")
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Board(IdMixin, TenantMixin, TimestampMixin, Base):
    """A board shows its saved filter's issues; who may see the filter may see the board.

    `columns`: [{"name", "status_ids": [...], "min", "max"}]; `swimlanes`: {"type", "queries":
    [{"name", "jql"}]}; `quick_filters`: [{"id", "name", "jql", "description"}]; `sub_filter`
    narrows a Kanban board's issues further (JQL)."""

    __tablename__ = "boards"
    __table_args__ = (Index("ix_boards_org_project", "organization_id", "project_id"),
                      Index("ix_boards_org_filter", "organization_id", "filter_id"))

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    board_type: Mapped[str] = mapped_column(String(16), nullable=False, default="scrum")
    project_id: Mapped[int] = mapped_column(IdType, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    # A deleted filter leaves the board to its owner, showing nothing until it gets another.
    filter_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("saved_filters.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    columns: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    swimlanes: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    quick_filters: Mapped[list] = mapped_column(JsonType, nullable=False, default=list)
    sub_filter: Mapped[str] = mapped_column(Text, nullable=False, default="")
    allow_parallel_sprints: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class SprintBoard(TenantMixin, Base):
    """Which board a sprint was planned on, and when it really started (`activated_at`, which
    bounds its scope changes; `sprints.start_at` is the start date the team gave). Kept when the
    board is deleted, so the sprint's reports still know when it started."""

    __tablename__ = "sprint_boards"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "sprint_id"),
                      Index("ix_sprint_boards_org_board", "organization_id", "board_id"))

    sprint_id: Mapped[int] = mapped_column(IdType, ForeignKey("sprints.id", ondelete="CASCADE"), nullable=False)
    board_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("boards.id", ondelete="SET NULL"))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IssueRank(TenantMixin, Base):
    """An issue's place in the organization's one global order (LexoRank strings, see
    tessera.agile.lexorank). Issues without a row sort after every ranked one, by creation."""

    __tablename__ = "issue_ranks"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "issue_id"),
                      UniqueConstraint("organization_id", "rank"))

    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    rank: Mapped[str] = mapped_column(RankType, nullable=False)


class SprintScopeChange(IdMixin, TenantMixin, Base):
    """One entry of a sprint's scope record (see SCOPE_CHANGES). Entries derived from history
    name their change item, which makes deriving them again idempotent."""

    __tablename__ = "sprint_scope_changes"
    __table_args__ = (Index("ix_sprint_scope_changes_org_sprint", "organization_id", "sprint_id", "at"),
                      UniqueConstraint("organization_id", "sprint_id", "change_item_id"))

    sprint_id: Mapped[int] = mapped_column(IdType, ForeignKey("sprints.id", ondelete="CASCADE"), nullable=False)
    issue_id: Mapped[int] = mapped_column(IdType, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False)
    change: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    from_estimate: Mapped[float | None] = mapped_column(Float)
    to_estimate: Mapped[float | None] = mapped_column(Float)
    status_category: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("users.id", ondelete="SET NULL"))
    change_item_id: Mapped[int | None] = mapped_column(IdType)
