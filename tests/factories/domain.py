"""Calling the services directly, as the edges do: one committed unit of work per block, acting
as the owner of an API token. For tests of a service's own rules, below any HTTP edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.config import Settings
from tessera.db.engine import Database
from tessera.tenancy.actor import Actor
from tessera.tenancy.auth import authenticate_token
from tests.support import OrgHandle, UserHandle


@asynccontextmanager
async def acting_as(database_url: str, who: OrgHandle | UserHandle) -> AsyncIterator[tuple[AsyncSession, Actor]]:
    """A writing unit of work and the actor of `who`'s token. It commits when the block ends and
    rolls back on an exception that leaves it; an error caught inside (pytest.raises) is the
    service refusing before it wrote, so the block still commits what came before."""
    database = Database(Settings(database_url=database_url))
    try:
        async with database.unit_of_work() as session:
            yield session, await authenticate_token(session, who.token, touch=False)
    finally:
        await database.dispose()
