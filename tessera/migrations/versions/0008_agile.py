"""agile: boards, sprints on boards, issue ranks, sprint scope changes

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tessera.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
RANK = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_organization_id_organizations"))


def upgrade() -> None:
    op.create_table(
        "boards",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("board_type", sa.String(length=16), nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("filter_id", ID, nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("columns", JSON, nullable=False),
        sa.Column("swimlanes", JSON, nullable=False),
        sa.Column("quick_filters", JSON, nullable=False),
        sa.Column("sub_filter", sa.Text(), nullable=False),
        sa.Column("allow_parallel_sprints", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _org_fk("boards"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_boards_project_id_projects")),
        sa.ForeignKeyConstraint(["filter_id"], ["saved_filters.id"], ondelete="SET NULL",
                                name=op.f("fk_boards_filter_id_saved_filters")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_boards_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boards")),
    )
    op.create_index("ix_boards_org_project", "boards", ["organization_id", "project_id"])
    op.create_index("ix_boards_org_filter", "boards", ["organization_id", "filter_id"])
    op.create_table(
        "sprint_boards",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("sprint_id", ID, nullable=False),
        sa.Column("board_id", ID, nullable=True),
        sa.Column("activated_at", WHEN, nullable=True),
        _org_fk("sprint_boards"),
        sa.ForeignKeyConstraint(["sprint_id"], ["sprints.id"], ondelete="CASCADE",
                                name=op.f("fk_sprint_boards_sprint_id_sprints")),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], ondelete="SET NULL",
                                name=op.f("fk_sprint_boards_board_id_boards")),
        sa.PrimaryKeyConstraint("organization_id", "sprint_id", name=op.f("pk_sprint_boards")),
    )
    op.create_index("ix_sprint_boards_org_board", "sprint_boards", ["organization_id", "board_id"])
    op.create_table(
        "issue_ranks",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("rank", RANK, nullable=False),
        _org_fk("issue_ranks"),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE",
                                name=op.f("fk_issue_ranks_issue_id_issues")),
        sa.PrimaryKeyConstraint("organization_id", "issue_id", name=op.f("pk_issue_ranks")),
        sa.UniqueConstraint("organization_id", "rank", name=op.f("uq_issue_ranks_organization_id_rank")),
    )
    op.create_table(
        "sprint_scope_changes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("sprint_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("from_estimate", sa.Float(), nullable=True),
        sa.Column("to_estimate", sa.Float(), nullable=True),
        sa.Column("status_category", sa.String(length=16), nullable=True),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("change_item_id", ID, nullable=True),
        _org_fk("sprint_scope_changes"),
        sa.ForeignKeyConstraint(["sprint_id"], ["sprints.id"], ondelete="CASCADE",
                                name=op.f("fk_sprint_scope_changes_sprint_id_sprints")),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE",
                                name=op.f("fk_sprint_scope_changes_issue_id_issues")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_sprint_scope_changes_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sprint_scope_changes")),
        sa.UniqueConstraint("organization_id", "sprint_id", "change_item_id",
                            name=op.f("uq_sprint_scope_changes_organization_id_sprint_id_change_item_id")),
    )
    op.create_index("ix_sprint_scope_changes_org_sprint", "sprint_scope_changes",
                    ["organization_id", "sprint_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_sprint_scope_changes_org_sprint", table_name="sprint_scope_changes")
    op.drop_table("sprint_scope_changes")
    op.drop_table("issue_ranks")
    op.drop_index("ix_sprint_boards_org_board", table_name="sprint_boards")
    op.drop_table("sprint_boards")
    op.drop_index("ix_boards_org_filter", table_name="boards")
    op.drop_index("ix_boards_org_project", table_name="boards")
    op.drop_table("boards")
