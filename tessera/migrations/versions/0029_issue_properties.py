"""issue properties (Jira's entity properties of issues) and the versions' order

Revision ID: 0029_issue_properties
Revises: 0028_audit_log
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tessera.db.base

revision = "0029_issue_properties"
down_revision = "0028_audit_log"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "issue_properties",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_issue_properties_organization_id_organizations")),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE",
                                name=op.f("fk_issue_properties_issue_id_issues")),
        sa.PrimaryKeyConstraint("issue_id", "key", name=op.f("pk_issue_properties")),
    )
    with op.batch_alter_table("versions") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("versions") as batch:
        batch.drop_column("position")
    op.drop_table("issue_properties")
