"""worklogs and remote issue links (for the Jira-compatible API)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tessera.db.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _tenant_columns(table: str) -> list:
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f(f"fk_{table}_organization_id_organizations")),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE", name=op.f(f"fk_{table}_issue_id_issues")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "worklogs",
        *_tenant_columns("worklogs"),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("update_author_id", ID, nullable=True),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("time_spent_seconds", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_worklogs_author_id_users")),
        sa.ForeignKeyConstraint(["update_author_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_worklogs_update_author_id_users")),
    )
    op.create_index("ix_worklogs_org_issue", "worklogs", ["organization_id", "issue_id", "started_at"])
    op.create_table(
        "remote_links",
        *_tenant_columns("remote_links"),
        sa.Column("global_id", sa.String(length=255), nullable=True),
        sa.Column("relationship", sa.String(length=255), nullable=False),
        sa.Column("link_object", JSON, nullable=False),
        sa.Column("application", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_remote_links_org_issue", "remote_links", ["organization_id", "issue_id", "global_id"])


def downgrade() -> None:
    op.drop_index("ix_remote_links_org_issue", table_name="remote_links")
    op.drop_table("remote_links")
    op.drop_index("ix_worklogs_org_issue", table_name="worklogs")
    op.drop_table("worklogs")
