"""Change items by issue: an issue's history (the issue page's changelog, sprint scope, reports)
reads its change items by (organization, issue); without this index PostgreSQL scanned every
change item of the database for one issue (50 ms at 100,000 issues, growing with history)

Revision ID: 0034_change_items_by_issue
Revises: 0033_issue_security
"""

from alembic import op

revision = "0034_change_items_by_issue"
down_revision = "0033_issue_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_change_items_org_issue", "change_items", ["organization_id", "issue_id"])


def downgrade() -> None:
    op.drop_index("ix_change_items_org_issue", table_name="change_items")
