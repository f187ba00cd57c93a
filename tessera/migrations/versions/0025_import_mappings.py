"""import mappings: what `tessera import jira` brought in, keyed by source site, kind and id

Revision ID: 0025_import_mappings
Revises: 0024_git_last_event_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_import_mappings"
down_revision = "0024_git_last_event_index"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "import_mappings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("local_id", ID, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_import_mappings_organization_id_organizations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        sa.UniqueConstraint("organization_id", "site", "kind", "external_id",
                            name=op.f("uq_import_mappings_organization_id_site_kind_external_id")),
    )
    op.create_index("ix_import_mappings_org_local", "import_mappings", ["organization_id", "kind", "local_id"])


def downgrade() -> None:
    op.drop_index("ix_import_mappings_org_local", table_name="import_mappings")
    op.drop_table("import_mappings")
