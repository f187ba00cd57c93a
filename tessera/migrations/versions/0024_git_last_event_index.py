"""An index answering when a Git connection last received an event

Revision ID: 0024_git_last_event_index
Revises: 0023_ci_builds_deployments

The Git settings page shows each connection's latest accepted delivery: with this index that is
the index's last entry for the connection, not a scan of every delivery it ever received.
"""

from alembic import op

revision = "0024_git_last_event_index"
down_revision = "0023_ci_builds_deployments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_git_deliveries_seen_latest", "git_deliveries_seen", ["connection_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_git_deliveries_seen_latest", table_name="git_deliveries_seen")
