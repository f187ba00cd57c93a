"""indexes for JQL search, chosen from the plans of the benchmark queries

Each leads with organization_id (tenancy first), then the column a typical query filters or
sorts on: project + assignee ordered by updated; priority IN; due < now(); resolved; history
(CHANGED/WAS with AFTER/BEFORE/DURING) by field and time.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_issues_org_project_updated", "issues", ["organization_id", "project_id", "updated_at"]),
    ("ix_issues_org_assignee_updated", "issues", ["organization_id", "assignee_id", "updated_at"]),
    ("ix_issues_org_priority", "issues", ["organization_id", "priority_id"]),
    ("ix_issues_org_due", "issues", ["organization_id", "due_date"]),
    ("ix_issues_org_resolved", "issues", ["organization_id", "resolved_at"]),
    ("ix_change_items_org_field_created", "change_items", ["organization_id", "field_id", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
