"""attachments and per-organization storage use

Attachment bytes live in the object store; this keeps their metadata and, per organization, the
bytes in use, which uploads reserve with one guarded UPDATE against the storage quota.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("declared_content_type", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_attachments_organization_id_organizations")),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE",
                                name=op.f("fk_attachments_issue_id_issues")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_attachments_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index("ix_attachments_org_issue", "attachments", ["organization_id", "issue_id", "created_at"])
    op.create_table(
        "organization_storage",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("used_bytes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_organization_storage_organization_id_organizations")),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_organization_storage")),
    )


def downgrade() -> None:
    op.drop_table("organization_storage")
    op.drop_index("ix_attachments_org_issue", table_name="attachments")
    op.drop_table("attachments")
