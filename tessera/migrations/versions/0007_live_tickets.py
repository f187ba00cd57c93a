"""live updates: single-use WebSocket tickets

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "live_tickets",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("expires_at", tessera.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_live_tickets_organization_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_live_tickets_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organization_id", "ticket_hash", name=op.f("pk_live_tickets")),
    )


def downgrade() -> None:
    op.drop_table("live_tickets")
