"""Git connections, the delivery ids they accepted, and the branches, commits and pull requests
linked to issues

Revision ID: 0021_git_integrations
Revises: 0020_view_lookup_indexes
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tessera.db.base

revision = "0021_git_integrations"
down_revision = "0020_view_lookup_indexes"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = tessera.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _tenant(table: str) -> list:
    return [sa.Column("id", ID, autoincrement=True, nullable=False),
            sa.Column("organization_id", ID, nullable=False),
            sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                    name=op.f(f"fk_{table}_organization_id_organizations"), ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]


def _linked(table: str) -> list:
    return [*_tenant(table),
            sa.Column("connection_id", ID, nullable=False),
            sa.Column("issue_id", ID, nullable=False),
            sa.Column("repository", sa.String(length=500), nullable=False),
            sa.Column("url", sa.String(length=2000), nullable=True),
            sa.Column("created_at", TIME, nullable=False),
            sa.Column("updated_at", TIME, nullable=False),
            sa.ForeignKeyConstraint(["connection_id"], ["git_connections.id"],
                                    name=op.f(f"fk_{table}_connection_id_git_connections"), ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], name=op.f(f"fk_{table}_issue_id_issues"),
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.create_table(
        "git_connections", *_tenant("git_connections"),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("repository", sa.String(length=500), nullable=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_git_connections_owner_id_users"),
                                ondelete="SET NULL"),
    )
    op.create_table(
        "git_deliveries_seen", *_tenant("git_deliveries_seen"),
        sa.Column("connection_id", ID, nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["git_connections.id"],
                                name=op.f("fk_git_deliveries_seen_connection_id_git_connections"), ondelete="CASCADE"),
        sa.UniqueConstraint("connection_id", "delivery_id",
                            name=op.f("uq_git_deliveries_seen_connection_id_delivery_id")),
    )
    op.create_table(
        "dev_branches", *_linked("dev_branches"),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("issue_id", "connection_id", "repository", "name",
                            name=op.f("uq_dev_branches_issue_id_connection_id_repository_name")),
    )
    op.create_index("ix_dev_branches_issue", "dev_branches", ["organization_id", "issue_id"])
    op.create_table(
        "dev_commits", *_linked("dev_commits"),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("author_name", sa.String(length=255), nullable=True),
        sa.Column("author_email", sa.String(length=320), nullable=True),
        sa.Column("committed_at", TIME, nullable=True),
        sa.Column("smart_commit", JSON, nullable=False),
        sa.UniqueConstraint("issue_id", "sha", name=op.f("uq_dev_commits_issue_id_sha")),
    )
    op.create_index("ix_dev_commits_issue", "dev_commits", ["organization_id", "issue_id"])
    op.create_table(
        "dev_pull_requests", *_linked("dev_pull_requests"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source_branch", sa.String(length=500), nullable=True),
        sa.Column("destination_branch", sa.String(length=500), nullable=True),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("reviews", JSON, nullable=False),
        sa.Column("rule_results", JSON, nullable=False),
        sa.UniqueConstraint("issue_id", "connection_id", "repository", "number",
                            name=op.f("uq_dev_pull_requests_issue_id_connection_id_repository_number")),
    )
    op.create_index("ix_dev_pull_requests_issue", "dev_pull_requests", ["organization_id", "issue_id"])


def downgrade() -> None:
    for table in ("dev_pull_requests", "dev_commits", "dev_branches"):
        op.drop_index(f"ix_{table}_issue", table_name=table)
        op.drop_table(table)
    op.drop_table("git_deliveries_seen")
    op.drop_table("git_connections")
