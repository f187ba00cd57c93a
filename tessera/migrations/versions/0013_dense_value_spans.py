"""issue_value_spans for every issue's every field from creation; first_held; priority index

Spans used to exist only for fields that had changed, so `status WAS v` was "a span of v, or v
now" (an OR the planner could only answer by hashing every span of v and testing each issue).
Now every issue has spans from creation and `first_held` marks each value's first span, so
WAS is one set of span rows and "ever held v" is counted from one index range. The spans are
derived data: they are rebuilt here, with the triggers, from the SQL of tessera.jql.value_spans
(a later change of their shape must rebuild them in its own migration, as this one does).

The table loses its id (and primary key): a span is only ever found by its issue or its value,
and bulk loads write millions. The priority search index gains project_id: the project filter
that most queries carry keeps counts over it index-only.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base
from tessera.jql.value_spans import drop_statements, rebuild_statements, trigger_statements

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SPANS = "issue_value_spans"
BY_VALUE = "ix_issue_value_spans_org_field_value"
BY_ISSUE = "ix_issue_value_spans_org_issue_field"
PRIORITY = "ix_issues_org_priority"
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)


def _create_spans(*, with_id: bool) -> None:
    """The table as this revision has it (no id: a span is found by its issue or its value), or
    with 0012's id column and primary key."""
    op.create_table(
        SPANS,
        *([sa.Column("id", ID, autoincrement=True, nullable=False)] if with_id else []),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("field_id", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("set_by", ID, nullable=True),
        sa.Column("first_held", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_issue_value_spans_organization_id_organizations")),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE",
                                name=op.f("fk_issue_value_spans_issue_id_issues")),
        *([sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_value_spans"))] if with_id else []),
    )


def _fill_and_keep(dialect: str, value_index: list[str], include: list[str]) -> None:
    """Spans from the history and the issues, then the indexes (faster built than kept while
    filling) and the triggers that keep the spans from then on."""
    for statement in rebuild_statements():
        op.execute(statement)
    op.create_index(BY_VALUE, SPANS, ["organization_id", "field_id", "value", "issue_id", *value_index],
                    postgresql_include=include)
    op.create_index(BY_ISSUE, SPANS, ["organization_id", "issue_id", "field_id"])
    for statement in trigger_statements(dialect):
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_statements(dialect):
        op.execute(statement)
    op.drop_table(SPANS)  # derived data, rebuilt in the new shape
    _create_spans(with_id=False)
    _fill_and_keep(dialect, ["first_held"], ["started_at", "ended_at", "set_by"])
    op.drop_index(PRIORITY, table_name="issues")
    op.create_index(PRIORITY, "issues", ["organization_id", "priority_id", "project_id", "id"])


def downgrade() -> None:
    # 0012's search reads dense spans correctly ("a span of v, or v now" still holds). Its table
    # gets its id back and keeps first_held, which the triggers (this code's) write.
    dialect = op.get_bind().dialect.name
    op.drop_index(PRIORITY, table_name="issues")
    op.create_index(PRIORITY, "issues", ["organization_id", "priority_id", "id"])
    for statement in drop_statements(dialect):
        op.execute(statement)
    op.drop_table(SPANS)
    _create_spans(with_id=True)
    _fill_and_keep(dialect, [], ["started_at", "ended_at", "set_by"])
