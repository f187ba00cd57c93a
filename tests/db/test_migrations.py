"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tessera.config import normalize_database_url
from tessera.schema import include_in_comparison, metadata


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    async def diff() -> list:
        engine = create_async_engine(normalize_database_url(database_url), poolclass=NullPool)
        async with engine.connect() as connection:
            found = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(
                    sync, opts={"compare_type": True, "include_object": include_in_comparison}), metadata))
        await engine.dispose()
        return found

    assert asyncio.run(diff()) == []


def test_the_views_lookups_have_indexes_leading_with_organization_and_issue(database_url: str) -> None:
    """0020_view_lookup_indexes: labels, components, versions and links of a page of issues by issue."""
    wanted = {"issue_labels": ("ix_issue_labels_org_issue", ["organization_id", "issue_id", "label"]),
              "issue_components": ("ix_issue_components_org_issue", ["organization_id", "issue_id", "component_id"]),
              "issue_versions": ("ix_issue_versions_org_issue", ["organization_id", "issue_id", "kind", "version_id"]),
              "issue_links": ("ix_issue_links_org_target",
                              ["organization_id", "target_issue_id", "source_issue_id", "link_type_id"])}

    async def indexes() -> dict[str, dict[str, list[str]]]:
        engine = create_async_engine(normalize_database_url(database_url), poolclass=NullPool)
        async with engine.connect() as connection:
            found = await connection.run_sync(lambda sync: {
                table: {index["name"]: index["column_names"] for index in inspect(sync).get_indexes(table)}
                for table in wanted})
        await engine.dispose()
        return found

    found = asyncio.run(indexes())
    for table, (name, columns) in wanted.items():
        assert found[table].get(name) == columns, (table, found[table])
