"""Alembic migrations, applied with `tessera migrate` or on `tessera serve` start."""
