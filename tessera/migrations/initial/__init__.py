"""The tables of revision 0001, in two groups its upgrade() and downgrade() call in order. Kept outside
versions/ so Alembic sees one revision; the operations are the ones Alembic generated, unchanged."""
