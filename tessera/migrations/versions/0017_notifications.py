"""Notifications: per-project schemes, per-user preferences and mutes, the inbox, and the
fan-out's record of handled events

Revision ID: 0017_notifications
Revises: 0016_webhooks
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tessera.db.base

revision = "0017_notifications"
down_revision = "0016_webhooks"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = tessera.db.base.UTCDateTime(timezone=True)


def _org(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                   name=op.f(f"fk_{table}_organization_id_organizations"), ondelete="CASCADE")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "notification_schemes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _org("notification_schemes"),
        _fk("notification_schemes", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_schemes")),
        sa.UniqueConstraint("organization_id", "project_id", name=op.f("uq_notification_schemes_organization_id_project_id")),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        _org("notification_preferences"),
        _fk("notification_preferences", "user_id", "users"),
        sa.PrimaryKeyConstraint("organization_id", "user_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "issue_mutes",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _org("issue_mutes"),
        _fk("issue_mutes", "issue_id", "issues"),
        _fk("issue_mutes", "user_id", "users"),
        sa.PrimaryKeyConstraint("organization_id", "issue_id", "user_id", name=op.f("pk_issue_mutes")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=True),
        sa.Column("issue_key", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("event_kinds", JSON, nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("delivery_key", sa.String(length=160), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("read_at", TIME, nullable=True),
        _org("notifications"),
        _fk("notifications", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("delivery_key", name=op.f("uq_notifications_delivery_key")),
    )
    op.create_index("ix_notifications_user_created", "notifications", ["organization_id", "user_id", "id"])
    op.create_index("ix_notifications_user_unread", "notifications", ["organization_id", "user_id", "read_at"])
    op.create_table(
        "notified_events",
        sa.Column("event_id", ID, autoincrement=False, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_notified_events")),
    )


def downgrade() -> None:
    op.drop_table("notified_events")
    op.drop_index("ix_notifications_user_unread", table_name="notifications")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    for table in ("notifications", "issue_mutes", "notification_preferences", "notification_schemes"):
        op.drop_table(table)
