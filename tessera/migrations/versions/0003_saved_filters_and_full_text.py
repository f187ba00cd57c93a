"""saved filters; full-text search (tsvector + GIN on PostgreSQL, FTS5 on SQLite)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Summary weighs A, description B, so `summary ~` and `description ~` can search one column.
PG_ISSUE_VECTOR = ("setweight(to_tsvector('english', coalesce(summary, '')), 'A') || "
                   "setweight(to_tsvector('english', coalesce(description, '')), 'B')")

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE issues_fts USING fts5(summary, description, content='issues', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER issues_fts_insert AFTER INSERT ON issues BEGIN "
    "INSERT INTO issues_fts(rowid, summary, description) VALUES (new.id, new.summary, new.description); END",
    "CREATE TRIGGER issues_fts_delete AFTER DELETE ON issues BEGIN "
    "INSERT INTO issues_fts(issues_fts, rowid, summary, description) "
    "VALUES ('delete', old.id, old.summary, old.description); END",
    "CREATE TRIGGER issues_fts_update AFTER UPDATE OF summary, description ON issues BEGIN "
    "INSERT INTO issues_fts(issues_fts, rowid, summary, description) "
    "VALUES ('delete', old.id, old.summary, old.description); "
    "INSERT INTO issues_fts(rowid, summary, description) VALUES (new.id, new.summary, new.description); END",
    "INSERT INTO issues_fts(rowid, summary, description) SELECT id, summary, description FROM issues",
    "CREATE VIRTUAL TABLE comments_fts USING fts5(body, content='comments', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN "
    "INSERT INTO comments_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN "
    "INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER comments_fts_update AFTER UPDATE OF body ON comments BEGIN "
    "INSERT INTO comments_fts(comments_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO comments_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO comments_fts(rowid, body) SELECT id, body FROM comments",
]


def upgrade() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("jql", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", tessera.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tessera.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_saved_filters_organization_id_organizations")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_saved_filters_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("organization_id", "owner_id", "name",
                            name=op.f("uq_saved_filters_organization_id_owner_id_name")),
    )
    op.create_index("ix_saved_filters_org_name", "saved_filters", ["organization_id", "name"])
    op.create_table(
        "filter_shares",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("filter_id", ID, nullable=False),
        sa.Column("share_type", sa.String(length=16), nullable=False),
        sa.Column("project_id", ID, nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("user_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_filter_shares_organization_id_organizations")),
        sa.ForeignKeyConstraint(["filter_id"], ["saved_filters.id"], ondelete="CASCADE",
                                name=op.f("fk_filter_shares_filter_id_saved_filters")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_filter_shares_project_id_projects")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE",
                                name=op.f("fk_filter_shares_group_id_groups")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_filter_shares_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filter_shares")),
    )
    op.create_index("ix_filter_shares_org_filter", "filter_shares", ["organization_id", "filter_id"])
    op.create_table(
        "filter_favourites",
        sa.Column("organization_id", ID, nullable=False),
        sa.Column("filter_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("created_at", tessera.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_filter_favourites_organization_id_organizations")),
        sa.ForeignKeyConstraint(["filter_id"], ["saved_filters.id"], ondelete="CASCADE",
                                name=op.f("fk_filter_favourites_filter_id_saved_filters")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_filter_favourites_user_id_users")),
        sa.PrimaryKeyConstraint("filter_id", "user_id", name=op.f("pk_filter_favourites")),
    )
    op.create_index("ix_filter_favourites_org_user", "filter_favourites", ["organization_id", "user_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE issues ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_ISSUE_VECTOR}) "
                   "STORED")
        op.execute("CREATE INDEX ix_issues_search ON issues USING GIN (search_vector)")
        op.execute("ALTER TABLE comments ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
                   "(to_tsvector('english', coalesce(body, ''))) STORED")
        op.execute("CREATE INDEX ix_comments_search ON comments USING GIN (search_vector)")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_comments_search")
        op.execute("ALTER TABLE comments DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP INDEX IF EXISTS ix_issues_search")
        op.execute("ALTER TABLE issues DROP COLUMN IF EXISTS search_vector")
    else:
        for name in ("issues_fts_insert", "issues_fts_delete", "issues_fts_update", "comments_fts_insert",
                     "comments_fts_delete", "comments_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS issues_fts")
        op.execute("DROP TABLE IF EXISTS comments_fts")
    op.drop_table("filter_favourites")
    op.drop_table("filter_shares")
    op.drop_table("saved_filters")
