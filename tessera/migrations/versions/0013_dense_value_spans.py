"""issue_value_spans for every issue's every field from creation; first_held; priority index

Spans used to exist only for fields that had changed, so `status WAS v` was "a span of v, or v
now" (an OR the planner could only answer by hashing every span of v and testing each issue).
Now every issue has spans from creation and `first_held` marks each value's first span, so
WAS is one set of span rows and "ever held v" is counted from one index range. The spans are
derived data: they are rebuilt here, with the triggers, from the SQL of tessera.jql.value_spans
(a later change of their shape must rebuild them in its own migration, as this one does).

The priority search index gains project_id: the project filter that most queries carry keeps
counts over it index-only.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from tessera.jql.value_spans import drop_statements, rebuild_statements, trigger_statements

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SPANS = "issue_value_spans"
BY_VALUE = "ix_issue_value_spans_org_field_value"
BY_ISSUE = "ix_issue_value_spans_org_issue_field"
PRIORITY = "ix_issues_org_priority"


def _has_first_held() -> bool:
    return "first_held" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns(SPANS)}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_statements(dialect):
        op.execute(statement)
    op.drop_index(BY_VALUE, table_name=SPANS)
    op.drop_index(BY_ISSUE, table_name=SPANS)
    if not _has_first_held():  # a downgrade leaves it (see there)
        op.add_column(SPANS, sa.Column("first_held", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(f"DELETE FROM {SPANS}")
    for statement in rebuild_statements():
        op.execute(statement)
    op.create_index(BY_VALUE, SPANS, ["organization_id", "field_id", "value", "issue_id", "first_held"],
                    postgresql_include=["started_at", "ended_at", "set_by"])
    op.create_index(BY_ISSUE, SPANS, ["organization_id", "issue_id", "field_id"])
    for statement in trigger_statements(dialect):
        op.execute(statement)
    op.drop_index(PRIORITY, table_name="issues")
    op.create_index(PRIORITY, "issues", ["organization_id", "priority_id", "project_id", "id"])


def downgrade() -> None:
    # 0012's search reads dense spans correctly ("a span of v, or v now" still holds), so the
    # spans and the triggers that keep them stay, and with them the column the triggers write.
    op.drop_index(PRIORITY, table_name="issues")
    op.create_index(PRIORITY, "issues", ["organization_id", "priority_id", "id"])
    op.drop_index(BY_VALUE, table_name=SPANS)
    op.create_index(BY_VALUE, SPANS, ["organization_id", "field_id", "value", "issue_id"],
                    postgresql_include=["started_at", "ended_at", "set_by"])
