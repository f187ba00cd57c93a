"""dashboards and their shares; indexes for the activity stream

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tessera.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_organization_id_organizations"))


def upgrade() -> None:
    op.create_table(
        "dashboards",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("layout", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _org_fk("dashboards"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_dashboards_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboards")),
    )
    op.create_index("ix_dashboards_org_owner", "dashboards", ["organization_id", "owner_id"])
    op.create_index("ix_dashboards_org_name", "dashboards", ["organization_id", "name"])
    op.create_table(
        "dashboard_shares",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("dashboard_id", ID, nullable=False),
        sa.Column("share_type", sa.String(length=16), nullable=False),
        sa.Column("project_id", ID, nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("user_id", ID, nullable=True),
        _org_fk("dashboard_shares"),
        sa.ForeignKeyConstraint(["dashboard_id"], ["dashboards.id"], ondelete="CASCADE",
                                name=op.f("fk_dashboard_shares_dashboard_id_dashboards")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_dashboard_shares_project_id_projects")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE",
                                name=op.f("fk_dashboard_shares_group_id_groups")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_dashboard_shares_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_shares")),
    )
    op.create_index("ix_dashboard_shares_org_dashboard", "dashboard_shares", ["organization_id", "dashboard_id"])
    # The activity stream: an organization's latest changes and comments, newest first.
    op.create_index("ix_change_groups_org_created", "change_groups", ["organization_id", "created_at"])
    op.create_index("ix_comments_org_created", "comments", ["organization_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_comments_org_created", table_name="comments")
    op.drop_index("ix_change_groups_org_created", table_name="change_groups")
    op.drop_index("ix_dashboard_shares_org_dashboard", table_name="dashboard_shares")
    op.drop_table("dashboard_shares")
    op.drop_index("ix_dashboards_org_name", table_name="dashboards")
    op.drop_index("ix_dashboards_org_owner", table_name="dashboards")
    op.drop_table("dashboards")
