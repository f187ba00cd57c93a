"""workflow drafts and workflow schemes

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tessera.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("workflows") as batch:
        batch.add_column(sa.Column("draft", JSON, nullable=True))
    op.create_table(
        "workflow_schemes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("default_workflow_id", ID, nullable=False),
        sa.Column("mappings", JSON, nullable=False),
        sa.Column("created_at", tessera.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tessera.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_workflow_schemes_organization_id_organizations")),
        sa.ForeignKeyConstraint(["default_workflow_id"], ["workflows.id"],
                                name=op.f("fk_workflow_schemes_default_workflow_id_workflows")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_schemes")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_workflow_schemes_organization_id_name")),
    )
    op.create_index("ix_issues_org_workflow_status", "issues", ["organization_id", "workflow_id", "status_id"])


def downgrade() -> None:
    op.drop_index("ix_issues_org_workflow_status", table_name="issues")
    op.drop_table("workflow_schemes")
    with op.batch_alter_table("workflows") as batch:
        batch.drop_column("draft")
