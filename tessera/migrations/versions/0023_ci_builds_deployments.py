"""CI/CD builds and deployments, their issues, and API token scopes

Revision ID: 0023_ci_builds_deployments
Revises: 0022_mail_in
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0023_ci_builds_deployments"
down_revision = "0022_mail_in"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = tessera.db.base.UTCDateTime(timezone=True)
JSON = tessera.db.base.JsonType


def _common(table: str) -> list:
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f(f"fk_{table}_organization_id_organizations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _link(table: str, owner_column: str, owner_table: str) -> None:
    op.create_table(
        table,
        sa.Column("organization_id", ID, nullable=False),
        sa.Column(owner_column, ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f(f"fk_{table}_organization_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint([owner_column], [f"{owner_table}.id"],
                                name=op.f(f"fk_{table}_{owner_column}_{owner_table}"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], name=op.f(f"fk_{table}_issue_id_issues"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(owner_column, "issue_id", name=op.f(f"pk_{table}")),
    )
    op.create_index(f"ix_{table}_issue", table, ["organization_id", "issue_id"])


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("scope", sa.String(length=16), nullable=True))
    op.create_table(
        "ci_builds",
        *_common("ci_builds"),
        sa.Column("pipeline_id", sa.String(length=255), nullable=False),
        sa.Column("build_number", sa.BigInteger(), nullable=False),
        sa.Column("update_sequence_number", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_updated", TIME, nullable=False),
        sa.Column("issue_keys", JSON, nullable=False),
        sa.Column("test_info", JSON, nullable=True),
        sa.Column("references", JSON, nullable=True),
        sa.Column("property_digests", JSON, nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=True),
        sa.UniqueConstraint("organization_id", "pipeline_id", "build_number",
                            name=op.f("uq_ci_builds_organization_id_pipeline_id_build_number")),
    )
    op.create_table(
        "ci_deployments",
        *_common("ci_deployments"),
        sa.Column("pipeline_id", sa.String(length=255), nullable=False),
        sa.Column("pipeline_name", sa.String(length=255), nullable=False),
        sa.Column("pipeline_url", sa.String(length=2000), nullable=False),
        sa.Column("environment_id", sa.String(length=255), nullable=False),
        sa.Column("environment_name", sa.String(length=255), nullable=False),
        sa.Column("environment_type", sa.String(length=16), nullable=False),
        sa.Column("deployment_sequence_number", sa.BigInteger(), nullable=False),
        sa.Column("update_sequence_number", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_updated", TIME, nullable=False),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("associations", JSON, nullable=False),
        sa.Column("commands", JSON, nullable=True),
        sa.Column("property_digests", JSON, nullable=False),
        sa.Column("provider", sa.String(length=255), nullable=True),
        sa.UniqueConstraint(
            "organization_id", "pipeline_id", "environment_id", "deployment_sequence_number",
            name="uq_ci_deployments_key"),
    )
    _link("ci_build_issues", "build_id", "ci_builds")
    _link("ci_deployment_issues", "deployment_id", "ci_deployments")


def downgrade() -> None:
    for table in ("ci_deployment_issues", "ci_build_issues"):
        op.drop_index(f"ix_{table}_issue", table_name=table)
        op.drop_table(table)
    op.drop_table("ci_deployments")
    op.drop_table("ci_builds")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scope")
