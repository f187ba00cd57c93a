"""Invitations: an administrator invites people by email from the administration pages

Revision ID: 0030_invitations
Revises: 0029_issue_properties

The invited user exists at once (inactive, without a password) so that they can be given roles
and groups before they accept; the invitation holds the digest of the link's secret.
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0030_invitations"
down_revision = "0029_issue_properties"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = tessera.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("invited_by_id", ID),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("accepted_at", TIME),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name="fk_invitations_organization_id_organizations"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name="fk_invitations_user_id_users"),
        sa.ForeignKeyConstraint(["invited_by_id"], ["users.id"], ondelete="SET NULL",
                                name="fk_invitations_invited_by_id_users"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
    )
    op.create_index("ix_invitations_org_user", "invitations", ["organization_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_invitations_org_user", table_name="invitations")
    op.drop_table("invitations")
