"""SQLite appends a change's value span instead of recomputing the field's whole history

Every change item of status, priority, resolution, assignee or reporter recomputed the issue's
spans of that field from all its items, so a transition cost more the longer the issue's
history (issue 16). PostgreSQL's trigger already appended the common case; SQLite's insert
trigger now does too (tessera.jql.value_spans.sqlite_insert_triggers). The spans themselves
do not change. PostgreSQL: nothing to do.

Revision ID: 0026_sqlite_span_append
Revises: 0025_import_mappings
"""

from alembic import op

from tessera.jql.value_spans import sqlite_insert_triggers

revision = "0026_sqlite_span_append"
down_revision = "0025_import_mappings"
branch_labels = None
depends_on = None

_DROP = ("DROP TRIGGER IF EXISTS change_items_value_spans_append",
         "DROP TRIGGER IF EXISTS change_items_value_spans_insert")


def _replace_insert_triggers(*, append: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in (*_DROP, *sqlite_insert_triggers(append=append)):
        op.execute(statement)


def upgrade() -> None:
    _replace_insert_triggers(append=True)


def downgrade() -> None:
    _replace_insert_triggers(append=False)
