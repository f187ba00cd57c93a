"""Slack incoming webhooks of users and projects (the URL encrypted)

Revision ID: 0018_slack_targets
Revises: 0017_notifications
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0018_slack_targets"
down_revision = "0017_notifications"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = tessera.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_targets",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("project_id", ID, nullable=True),
        sa.Column("url_encrypted", sa.Text(), nullable=False),
        sa.Column("url_hint", sa.String(length=120), nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_slack_targets_organization_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_slack_targets_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_slack_targets_project_id_projects"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_slack_targets_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_targets")),
        sa.UniqueConstraint("organization_id", "user_id", name=op.f("uq_slack_targets_organization_id_user_id")),
        sa.UniqueConstraint("organization_id", "project_id", name=op.f("uq_slack_targets_organization_id_project_id")),
    )


def downgrade() -> None:
    op.drop_table("slack_targets")
