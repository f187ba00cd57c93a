"""collaboration: comment edits and mentions, watchers, votes

Comment revisions keep edit history; a deleted comment with replies becomes a tombstone
(`comments.deleted_at`). Watchers and votes are keyed (organization_id, issue_id, user_id) with an
(organization_id, user_id) index for watchedIssues()/votedIssues().

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = tessera.db.base.UTCDateTime(timezone=True)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_organization_id_organizations"))


def _user_issue_table(table: str) -> None:
    op.create_table(
        table,
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _org_fk(table),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE",
                                name=op.f(f"fk_{table}_issue_id_issues")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f(f"fk_{table}_user_id_users")),
        sa.PrimaryKeyConstraint("organization_id", "issue_id", "user_id", name=op.f(f"pk_{table}")),
    )
    op.create_index(f"ix_{table}_org_user", table, ["organization_id", "user_id"])


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild), so SQLite's FTS triggers on comments stay as they are.
    op.add_column("comments", sa.Column("deleted_at", WHEN, nullable=True))
    op.create_table(
        "comment_revisions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("comment_id", ID, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_by", ID, nullable=True),
        sa.Column("edited_at", WHEN, nullable=False),
        _org_fk("comment_revisions"),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE",
                                name=op.f("fk_comment_revisions_comment_id_comments")),
        sa.ForeignKeyConstraint(["edited_by"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_comment_revisions_edited_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_revisions")),
        sa.UniqueConstraint("organization_id", "comment_id", "revision",
                            name=op.f("uq_comment_revisions_organization_id_comment_id_revision")),
    )
    op.create_table(
        "comment_mentions",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("comment_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("issue_id", ID, nullable=False),
        _org_fk("comment_mentions"),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE",
                                name=op.f("fk_comment_mentions_comment_id_comments")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_comment_mentions_user_id_users")),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"], ondelete="CASCADE",
                                name=op.f("fk_comment_mentions_issue_id_issues")),
        sa.PrimaryKeyConstraint("organization_id", "comment_id", "user_id", name=op.f("pk_comment_mentions")),
    )
    op.create_index("ix_comment_mentions_org_user", "comment_mentions", ["organization_id", "user_id"])
    _user_issue_table("issue_watchers")
    _user_issue_table("issue_votes")


def downgrade() -> None:
    for table in ("issue_votes", "issue_watchers"):
        op.drop_index(f"ix_{table}_org_user", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_comment_mentions_org_user", table_name="comment_mentions")
    op.drop_table("comment_mentions")
    op.drop_table("comment_revisions")
    # SQLite >= 3.35 drops a column in place (a batch rebuild would orphan the FTS triggers).
    op.execute("ALTER TABLE comments DROP COLUMN deleted_at")
