"""PostgreSQL row-level security: every tenant-owned table walled in by its organization

Each table with an `organization_id` column (found in the catalog, so none is forgotten), and
`organizations` by its `id`, gets the `tenant_isolation` policy; the non-owner role
`tessera_tenant`, which request transactions switch to, is created and granted the data
(tessera.db.row_security), and the full-text match functions that keep text search on its
index under the wall. A table added later calls `policy_statements` in its own migration;
tests/db/test_row_security.py fails when one does not. SQLite: nothing to do.

Revision ID: 0032_row_security
Revises: 0031_permission_schemes
"""

from alembic import op
from sqlalchemy import text

from tessera.db.row_security import (
    POLICY,
    TEXT_MATCH_FUNCTIONS,
    policy_statements,
    role_statements,
    text_match_function_statements,
)

revision = "0032_row_security"
down_revision = "0031_permission_schemes"
branch_labels = None
depends_on = None

_TENANT_TABLES = text(
    "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
    "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
    "WHERE c.table_schema = current_schema() AND c.column_name = 'organization_id' "
    "AND t.table_type = 'BASE TABLE' ORDER BY c.table_name")


def _tenant_tables() -> list[str]:
    return list(op.get_bind().execute(_TENANT_TABLES).scalars())


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in role_statements():
        op.execute(statement)
    for table in _tenant_tables():
        for statement in policy_statements(table):
            op.execute(statement)
    for statement in policy_statements("organizations", column="id"):
        op.execute(statement)
    for statement in text_match_function_statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in TEXT_MATCH_FUNCTIONS.values():
        op.execute(f"DROP FUNCTION IF EXISTS {function}(bigint, tsquery)")
    for table in [*_tenant_tables(), "organizations"]:
        op.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
