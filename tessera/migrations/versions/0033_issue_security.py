"""Issue security levels: schemes of levels per organization, their members, a project's scheme
and an issue's level

The new tenant tables are walled in by row-level security on PostgreSQL like every other
(tessera.db.row_security.policy_statements; see 0032).

Revision ID: 0033_issue_security
Revises: 0032_row_security
"""

import sqlalchemy as sa
from alembic import op

from tessera.db.row_security import policy_statements

revision = "0033_issue_security"
down_revision = "0032_row_security"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)
TABLES = ("issue_security_schemes", "issue_security_levels", "issue_security_level_members")


def _org(table: str) -> sa.Column:
    return sa.Column("organization_id", ID, sa.ForeignKey("organizations.id", ondelete="CASCADE",
                                                          name=f"fk_{table}_organization_id_organizations"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "issue_security_schemes",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        _org("issue_security_schemes"),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False),
        sa.Column("default_level_id", ID),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issue_security_schemes"),
        sa.UniqueConstraint("organization_id", "name", name="uq_issue_security_schemes_organization_id_name"),
    )
    op.create_table(
        "issue_security_levels",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        _org("issue_security_levels"),
        sa.Column("scheme_id", ID, sa.ForeignKey("issue_security_schemes.id", ondelete="CASCADE",
                                                 name="fk_issue_security_levels_scheme_id_issue_security_schemes"),
                  nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_issue_security_levels"),
        sa.UniqueConstraint("organization_id", "scheme_id", "name",
                            name="uq_issue_security_levels_organization_id_scheme_id_name"),
    )
    op.create_table(
        "issue_security_level_members",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        _org("issue_security_level_members"),
        sa.Column("level_id", ID, sa.ForeignKey(
            "issue_security_levels.id", ondelete="CASCADE",
            name="fk_issue_security_level_members_level_id_issue_security_levels"), nullable=False),
        sa.Column("holder_type", sa.String(32), nullable=False),
        sa.Column("parameter", sa.String(64)),
        sa.Column("group_id", ID, sa.ForeignKey("groups.id", ondelete="CASCADE",
                                                name="fk_issue_security_level_members_group_id_groups")),
        sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE",
                                               name="fk_issue_security_level_members_user_id_users")),
        sa.PrimaryKeyConstraint("id", name="pk_issue_security_level_members"),
    )
    op.create_index("ix_issue_security_level_members_level", "issue_security_level_members",
                    ["organization_id", "level_id"])
    # Plain ADD COLUMN on both databases (nullable, no default): SQLite need not rebuild issues.
    op.add_column("projects", sa.Column("issue_security_scheme_id", ID, nullable=True))
    op.add_column("issues", sa.Column("security_level_id", ID, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in policy_statements(table):
                op.execute(statement)


def downgrade() -> None:
    op.execute("ALTER TABLE issues DROP COLUMN security_level_id")
    op.execute("ALTER TABLE projects DROP COLUMN issue_security_scheme_id")
    op.drop_index("ix_issue_security_level_members_level", table_name="issue_security_level_members")
    for table in reversed(TABLES):
        op.drop_table(table)
