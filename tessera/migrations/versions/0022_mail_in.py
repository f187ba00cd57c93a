"""Email in: projects' mail-in policies and the receipts of messages acted on

Revision ID: 0022_mail_in
Revises: 0021_git_integrations
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0022_mail_in"
down_revision = "0021_git_integrations"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = tessera.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mail_in_policies",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("unknown_senders", sa.String(length=16), nullable=False),
        sa.Column("on_behalf_of_id", ID, nullable=True),
        sa.Column("issue_type", sa.String(length=255), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_mail_in_policies_organization_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_mail_in_policies_project_id_projects"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["on_behalf_of_id"], ["users.id"],
                                name=op.f("fk_mail_in_policies_on_behalf_of_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_mail_in_policies")),
    )
    op.create_table(
        "mail_in_receipts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("comment_id", ID, nullable=True),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_mail_in_receipts_organization_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"],
                                name=op.f("fk_mail_in_receipts_issue_id_issues"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"],
                                name=op.f("fk_mail_in_receipts_comment_id_comments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_in_receipts")),
        sa.UniqueConstraint("organization_id", "message_id",
                            name=op.f("uq_mail_in_receipts_organization_id_message_id")),
    )
    op.create_index("ix_mail_in_receipts_issue", "mail_in_receipts", ["organization_id", "issue_id"])


def downgrade() -> None:
    op.drop_index("ix_mail_in_receipts_issue", table_name="mail_in_receipts")
    op.drop_table("mail_in_receipts")
    op.drop_table("mail_in_policies")
