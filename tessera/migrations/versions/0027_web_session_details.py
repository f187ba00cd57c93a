"""What the profile page shows of each browser session: when it was last seen, and from where

Revision ID: 0027_web_session_details
Revises: 0026_sqlite_span_append

A user lists their own sessions (created, last seen, browser, address) and signs out one or all
others; the index serves that list and "sign out everywhere else". last_seen_at is written at
most once a minute per session (tessera.tenancy.auth), never per request.
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0027_web_session_details"
down_revision = "0026_sqlite_span_append"
branch_labels = None
depends_on = None

TIME = tessera.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", TIME, nullable=True))
        batch.add_column(sa.Column("user_agent", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("ip_address", sa.String(length=64), nullable=True))
    op.create_index("ix_web_sessions_org_user", "web_sessions", ["organization_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_org_user", table_name="web_sessions")
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("ip_address")
        batch.drop_column("user_agent")
        batch.drop_column("last_seen_at")
