"""issue_value_spans for JQL WAS at scale; issues keep long text out of line on PostgreSQL

The spans are filled from the change history here and kept by a trigger on change_items from
then on (tessera.jql.value_spans). On PostgreSQL, issues rows move description and the search
vector to TOAST past 128 bytes: counts and filters over many issues then read a heap of about a
third of the size (the columns are read only for the page of issues shown, and the search
vector's GIN index answers `~` without it).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base
from tessera.jql.value_spans import drop_statements, rebuild_sql, trigger_statements

revision = "0012"
down_revision = "0010"  # TEMP until merged after 0011
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
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
    op.execute(rebuild_sql(one_organization=False))
    op.create_index("ix_issue_value_spans_org_field_value", "issue_value_spans",
                    ["organization_id", "field_id", "value", "started_at"],
                    postgresql_include=["issue_id", "ended_at", "set_by"])
    op.create_index("ix_issue_value_spans_org_issue_field", "issue_value_spans",
                    ["organization_id", "issue_id", "field_id"])
    for statement in trigger_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute("ALTER TABLE issues SET (toast_tuple_target = 128)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("ALTER TABLE issues RESET (toast_tuple_target)")
    for statement in drop_statements(dialect):
        op.execute(statement)
    op.drop_index("ix_issue_value_spans_org_issue_field", table_name="issue_value_spans")
    op.drop_index("ix_issue_value_spans_org_field_value", table_name="issue_value_spans")
    op.drop_table("issue_value_spans")
