"""The audit log: append-only, hash-chained records per organization

Revision ID: 0028_audit_log
Revises: 0027_web_session_details
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0028_audit_log"
down_revision = "0027_web_session_details"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", ID),
        sa.Column("actor_token_id", ID),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(512)),
        sa.Column("request_id", sa.String(128)),
        sa.Column("action", sa.String(96), nullable=False),
        sa.Column("object_type", sa.String(32)),
        sa.Column("object_id", ID),
        sa.Column("object_key", sa.String(255)),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_records"),
        sa.UniqueConstraint("organization_id", "sequence", name="uq_audit_records_organization_id_sequence"),
    )
    op.create_index("ix_audit_records_org_at", "audit_records", ["organization_id", "at"])
    op.create_index("ix_audit_records_org_action", "audit_records", ["organization_id", "action", "sequence"])
    op.create_table(
        "audit_chains",
        sa.Column("organization_id", ID, autoincrement=False, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("retention_days", sa.Integer()),
        sa.Column("checkpoint_sequence", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_hash", sa.String(64), nullable=False),
        sa.Column("checkpoint_note", sa.Text()),
        sa.PrimaryKeyConstraint("organization_id", name="pk_audit_chains"),
    )


def downgrade() -> None:
    op.drop_table("audit_chains")
    op.drop_index("ix_audit_records_org_action", table_name="audit_records")
    op.drop_index("ix_audit_records_org_at", table_name="audit_records")
    op.drop_table("audit_records")
