"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:24:12.937402
"""

from tessera.migrations.initial.organization_tables import create_organization_tables, drop_organization_tables
from tessera.migrations.initial.project_tables import create_project_tables, drop_project_tables

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_organization_tables()
    create_project_tables()


def downgrade() -> None:
    drop_project_tables()
    drop_organization_tables()
