"""time tracking on issues (original and remaining estimates, time spent)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIME_COLUMNS = ("original_estimate", "remaining_estimate", "time_spent")


def upgrade() -> None:
    for name in TIME_COLUMNS:
        op.add_column("issues", sa.Column(name, sa.Integer(), nullable=True))
    # Work logged before time tracking existed becomes the issues' time spent.
    op.execute("""
        UPDATE issues SET time_spent = (
            SELECT SUM(worklogs.time_spent_seconds) FROM worklogs
            WHERE worklogs.organization_id = issues.organization_id AND worklogs.issue_id = issues.id)
        WHERE EXISTS (SELECT 1 FROM worklogs
                      WHERE worklogs.organization_id = issues.organization_id AND worklogs.issue_id = issues.id)
    """)


def downgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        for name in TIME_COLUMNS:
            batch.drop_column(name)
