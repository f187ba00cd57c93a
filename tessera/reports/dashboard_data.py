"""A dashboard's data: every gadget's, in one request, for the viewer, through the cache."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.projects.models import Project
from tessera.projects.service import browsable_projects_condition
from tessera.reports.dashboard_cache import GadgetCache
from tessera.reports.gadget_data import compute, prepare
from tessera.reports.models import Dashboard
from tessera.reports.periods import iso
from tessera.tenancy.actor import Actor
from tessera.tenancy.issue_security import uses_issue_security


async def _project_scope(session: AsyncSession, actor: Actor) -> str:
    """The projects the viewer may browse: what decides which issues gadgets count for them."""
    ids = (await session.scalars(select(Project.id).where(browsable_projects_condition(actor),
                                                          Project.archived.is_(False)))).all()
    if await uses_issue_security(session, actor):
        return f"user:{actor.user_id}"  # issue security levels decide per viewer which issues count
    return "projects:" + hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:32]


async def dashboard_data(session: AsyncSession, *, actor: Actor, dashboard: Dashboard, cache: GadgetCache | None,
                         now: datetime, refresh: bool = False) -> dict[str, Any]:
    """`refresh` recomputes every gadget (and stores the result) instead of reading the cache."""
    version = await cache.version(actor.organization_id) if cache is not None else None
    scope = await _project_scope(session, actor)
    database = str(session.get_bind().url)
    gadgets = []
    for gadget in dashboard.layout.get("gadgets", []):
        prepared = await prepare(session, actor, gadget)
        key = None
        if cache is not None and version is not None:
            viewer = f"user:{actor.user_id}" if prepared.per_viewer else scope
            key = "|".join((database, str(actor.organization_id), str(dashboard.id), prepared.cache_key(), viewer,
                            str(actor.catalog_version), version))
        result = cache.get(key) if cache is not None and key is not None and not refresh else None
        cached = result is not None
        if result is None:
            result = {**await compute(session, actor, prepared, now), "computed_at": iso(now)}
            if cache is not None and key is not None:
                cache.put(key, result)
        gadgets.append({"id": gadget["id"], "type": gadget["type"], "title": gadget["title"],
                        "column": gadget["column"], "row": gadget["row"], **result, "cached": cached})
    return {"dashboard_id": dashboard.id, "version": dashboard.version, "data_version": version, "gadgets": gadgets}
