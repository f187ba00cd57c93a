"""Pages of issues found by agile queries (a board's filter, a sprint, the backlog), in rank
order, rendered in the search shape (`issues`, `startAt`, `maxResults`, `total`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tessera.agile.board_search import charge_client_jql_quota, plan_all, ranked_issues
from tessera.api.jira.dialect import links_for
from tessera.api.jira.issues import parse_expand
from tessera.edge.context import RequestContext
from tessera.issues.references import catalog_for
from tessera.jira_format.fields import select_fields
from tessera.jira_format.issue_json import render_jira_issues
from tessera.jql.search import MAX_RESULTS
from tessera.tenancy.actor import Actor


async def issue_page(ctx: RequestContext, session: AsyncSession, actor: Actor, *, queries: Sequence[str],
                     extra: Sequence[ColumnElement[bool]], start_at: int, max_results: int, fields: list[str],
                     expand: str | None, client_jql: str | None) -> dict[str, Any]:
    """Issues matching every query and condition, in rank order, in the search shape.
    `client_jql`: the request's own `jql`, which counts against the search quota."""
    await charge_client_jql_quota(ctx.limiter, actor, client_jql)
    limit = min(max_results or 50, MAX_RESULTS)
    found = await ranked_issues(session, actor=actor, plans=await plan_all(session, actor, queries), extra=extra,
                                start_at=start_at, max_results=limit)
    selection = select_fields(await catalog_for(session, actor), fields, default="*navigable")
    issues = await render_jira_issues(session, actor=actor, issues=found.issues, links=links_for(ctx),
                                      selection=selection, expand=parse_expand(expand))
    return {"expand": "schema,names", "startAt": start_at, "maxResults": limit, "total": found.total,
            "issues": issues}
