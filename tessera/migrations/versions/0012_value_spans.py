"""issue_value_spans for JQL WAS at scale; covering search indexes

The table is created here; migration 0013 fills it and installs the triggers that keep it
(tessera.jql.value_spans, whose SQL has since changed shape). The search indexes gain trailing columns (ids, the column a
typical query filters on next) so counts and id sets are read from the index alone.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base
from tessera.jql.value_spans import drop_statements

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Search indexes widened so counts and id sets come from the index alone (index-only scans).
WIDENED = (
    ("ix_issues_org_project_status", "issues", ["organization_id", "project_id", "status_id"], ["id"]),
    ("ix_issues_org_created", "issues", ["organization_id", "created_at"], ["id"]),
    ("ix_issues_org_priority", "issues", ["organization_id", "priority_id"], ["id"]),
    ("ix_issues_org_due", "issues", ["organization_id", "due_date"], ["status_id", "id"]),
    ("ix_issues_org_resolved", "issues", ["organization_id", "resolved_at"], ["resolution_id", "id"]),
    ("ix_issue_labels_org_label", "issue_labels", ["organization_id", "label"], ["issue_id"]),
    ("ix_issue_versions_org_version", "issue_versions", ["organization_id", "version_id"], ["kind", "issue_id"]),
)
NEW_INDEXES = (
    ("ix_issues_org_resolution", "issues", ["organization_id", "resolution_id", "project_id", "id"]),
)

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "issue_value_spans",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("field_id", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("set_by", ID, nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_issue_value_spans_organization_id_organizations")),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE",
                                name=op.f("fk_issue_value_spans_issue_id_issues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_value_spans")),
    )
    op.create_index("ix_issue_value_spans_org_field_value", "issue_value_spans",
                    ["organization_id", "field_id", "value", "issue_id"],
                    postgresql_include=["started_at", "ended_at", "set_by"])
    op.create_index("ix_issue_value_spans_org_issue_field", "issue_value_spans",
                    ["organization_id", "issue_id", "field_id"])
    for name, table, columns, added in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns + added)
    for name, table, columns in NEW_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, _ in NEW_INDEXES:
        op.drop_index(name, table_name=table)
    for name, table, columns, _ in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
    for statement in drop_statements(dialect):
        op.execute(statement)
    op.drop_index("ix_issue_value_spans_org_issue_field", table_name="issue_value_spans")
    op.drop_index("ix_issue_value_spans_org_field_value", table_name="issue_value_spans")
    op.drop_table("issue_value_spans")
