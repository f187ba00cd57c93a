"""time tracking on issues (original and remaining estimates, time spent); a rank for every issue

Revision ID: 0011
Revises: 0010

Issues now get a tail rank when they are created (tessera.issues.ranks); the issues created
before without one get theirs here, so no move ever has to rank other issues first. The rank
format is written out here rather than imported: a migration must not change with the code.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import tessera.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIME_COLUMNS = ("original_estimate", "remaining_estimate", "time_spent")
BATCH = 5_000
_UNRANKED = """
    SELECT issues.organization_id, issues.id, issues.created_at FROM issues
    WHERE NOT EXISTS (SELECT 1 FROM issue_ranks
                      WHERE issue_ranks.organization_id = issues.organization_id AND issue_ranks.issue_id = issues.id)
"""


def _tail_ranks() -> None:
    """"9|" + creation time in microseconds (16 digits) + issue id (19 digits) + "1"."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"""
            INSERT INTO issue_ranks (organization_id, issue_id, rank)
            SELECT organization_id, id, '9|' || lpad(GREATEST(0, floor(extract(epoch FROM created_at) * 1000000))
                                                   ::bigint::text, 16, '0') || lpad(id::text, 19, '0') || '1'
            FROM ({_UNRANKED}) AS unranked
        """)
        return
    issues = sa.table("issues", sa.column("organization_id"), sa.column("id"),
                      sa.column("created_at", tessera.db.base.UTCDateTime()))
    ranks = sa.table("issue_ranks", sa.column("organization_id"), sa.column("issue_id"), sa.column("rank"))
    unranked = sa.select(issues.c.organization_id, issues.c.id, issues.c.created_at).where(~sa.exists().where(
        ranks.c.organization_id == issues.c.organization_id, ranks.c.issue_id == issues.c.id))
    rows = bind.execute(unranked).all()
    start = datetime(1970, 1, 1, tzinfo=UTC)
    for offset in range(0, len(rows), BATCH):
        bind.execute(sa.insert(ranks), [
            {"organization_id": org, "issue_id": issue_id,
             "rank": f"9|{max(0, (created - start) // timedelta(microseconds=1)):016d}{issue_id:019d}1"}
            for org, issue_id, created in rows[offset:offset + BATCH]])


def upgrade() -> None:
    for name in TIME_COLUMNS:
        op.add_column("issues", sa.Column(name, sa.Integer(), nullable=True))
    # Work logged before time tracking existed becomes the issues' time spent.
    op.execute("""
        UPDATE issues SET time_spent = (
            SELECT SUM(worklogs.time_spent_seconds) FROM worklogs
            WHERE worklogs.organization_id = issues.organization_id AND worklogs.issue_id = issues.id)
        WHERE EXISTS (SELECT 1 FROM worklogs
                      WHERE worklogs.organization_id = issues.organization_id AND worklogs.issue_id = issues.id)
    """)
    _tail_ranks()


def downgrade() -> None:
    # The earlier code knows no bucket "9": its issues go back to having no rank.
    op.execute("DELETE FROM issue_ranks WHERE rank LIKE '9|%'")
    with op.batch_alter_table("issues") as batch:
        for name in TIME_COLUMNS:
            batch.drop_column(name)
