"""What a board shows: its issues in columns (by status) and swimlanes, in rank order, with the
columns' WIP limits checked; its backlog; a sprint's issues.

A Scrum board shows the issues of its active sprints (or of the sprint asked for); a Kanban
board every issue of its filter and sub-filter. Quick filters and an extra JQL narrow either.
Issues whose status no column maps are not on the board, as in Jira."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tessera.agile.board_search import (
    backlog_conditions,
    charge_client_jql_quota,
    in_sprints,
    plan_all,
    ranked_issues,
    visible_conditions,
)
from tessera.agile.boards import board_filter
from tessera.agile.cards import render_cards
from tessera.agile.fields import AgileFields, agile_fields
from tessera.agile.models import Board, Sprint
from tessera.agile.sprints import board_sprints, sprint_links, sprint_view
from tessera.errors import InvalidInput
from tessera.issues.models import CustomFieldValue, Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.tenancy.actor import Actor
from tessera.tenancy.limits import SearchQuota

BOARD_LIMIT = 1000  # cards per board view; column counts and WIP limits still count every issue


def _quick_filter_queries(board: Board, wanted: Sequence[int]) -> list[str]:
    by_id = {f["id"]: f for f in board.quick_filters}
    missing = [qid for qid in wanted if qid not in by_id]
    if missing:
        raise InvalidInput(f"The quick filter '{missing[0]}' does not exist on this board.", field="quick_filter")
    return [by_id[qid]["jql"] for qid in dict.fromkeys(wanted)]


def _wip(column: dict[str, Any], count: int) -> str | None:
    """Which limit the column breaks: "max" (too many issues), "min" (too few) or None."""
    if column.get("max") is not None and count > column["max"]:
        return "max"
    if column.get("min") is not None and count < column["min"]:
        return "min"
    return None


async def _lanes(session: AsyncSession, *, actor: Actor, board: Board, catalog: OrgCatalog,
                 cards: list[dict[str, Any]], column_of: dict[int, int]) -> list[dict[str, Any]]:
    """Swimlanes: [{id, name, count, columns: [[issue ids per column]]}] in display order."""
    kind = (board.swimlanes or {}).get("type", "none")
    if kind == "none" or not cards:
        return []
    lane_of: dict[int, tuple[Any, str]] = {}  # issue id → (sort key, lane id)
    names: dict[str, str] = {}
    if kind == "queries":
        queries = board.swimlanes.get("queries", [])
        unplaced = {card["id"] for card in cards}
        for index, query in enumerate(queries):
            page = await ranked_issues(session, actor=actor, plans=await plan_all(session, actor, [query["jql"]]),
                                       extra=[Issue.id.in_(sorted(unplaced))], max_results=len(unplaced))
            names[f"query:{index}"] = query["name"]
            for issue in page.issues:
                lane_of[issue.id] = ((index,), f"query:{index}")
                unplaced.discard(issue.id)
            if not unplaced:
                break
        names["query:other"] = "Everything else"
        for issue_id in unplaced:
            lane_of[issue_id] = ((len(queries),), "query:other")
    else:
        priority_order = {p.id: p.sequence for p in catalog.priorities}
        for card in cards:
            if kind == "assignee":
                person = card["assignee"]
                lane = f"assignee:{person['id']}" if person else "assignee:none"
                names[lane] = person["display_name"] if person else "Unassigned"
                key: tuple = (person is None, names[lane].casefold(), person["id"] if person else 0)
            elif kind == "priority":
                lane = f"priority:{card['priority']['id']}"
                names[lane] = card["priority"]["name"]
                key = (priority_order.get(card["priority"]["id"], 0),)
            else:
                epic = card["epic"]
                lane = f"epic:{epic['id']}" if epic else "epic:none"
                names[lane] = f"{epic['key']} {epic['summary']}" if epic else "Issues without an epic"
                key = (epic is None, epic["id"] if epic else 0)
            lane_of[card["id"]] = (key, lane)
    order = sorted({lane: key for key, lane in lane_of.values()}.items(), key=lambda item: item[1])
    columns = len(board.columns)
    lanes = {lane: {"id": lane, "name": names[lane], "count": 0, "columns": [[] for _ in range(columns)]}
             for lane, _ in order}
    for card in cards:  # cards are in rank order, and stay so within each cell
        lane = lanes[lane_of[card["id"]][1]]
        lane["columns"][column_of[card["id"]]].append(card["id"])
        lane["count"] += 1
    return list(lanes.values())


async def board_issues(session: AsyncSession, *, actor: Actor, board: Board, quick_filters: Sequence[int] = (),
                       jql: str | None = None, sprint_id: int | None = None,
                       quota: SearchQuota | None = None) -> dict[str, Any]:
    await charge_client_jql_quota(quota, actor, jql)
    catalog = await catalog_for(session, actor)
    fields = agile_fields(catalog)
    saved = await board_filter(session, actor, board)
    queries = _quick_filter_queries(board, quick_filters)
    plans = await plan_all(session, actor, [saved.jql if saved else "", *(
        [board.sub_filter] if board.board_type == "kanban" else []), *queries, jql or ""])
    column_index = {status_id: index for index, column in enumerate(board.columns)
                    for status_id in column["status_ids"]}
    extra = [Issue.status_id.in_(sorted(column_index))]
    sprints: list[Sprint] = []
    if board.board_type == "scrum":
        every = await board_sprints(session, actor.organization_id, board.id)
        if sprint_id is not None:
            sprints = [s for s in every if s.id == sprint_id]
            if not sprints:
                raise InvalidInput(f"The sprint '{sprint_id}' is not on this board.", field="sprint_id")
        else:
            sprints = [s for s in every if s.state == "active"]
        extra.append(in_sprints(actor, fields, [s.id for s in sprints]))
    if saved is None:
        page_total, page_issues, ranks, counts = 0, [], {}, {}
    else:
        page = await ranked_issues(session, actor=actor, plans=plans, extra=extra, max_results=BOARD_LIMIT,
                                   count_by_status=True)
        page_total, page_issues, ranks, counts = page.total, page.issues, page.ranks, page.status_counts
    cards = await render_cards(session, actor=actor, catalog=catalog, fields=fields,
                               issues=page_issues, ranks=ranks)
    links = await sprint_links(session, actor.organization_id, [s.id for s in sprints])
    column_of = {card["id"]: column_index[card["status"]["id"]] for card in cards}
    columns = []
    for index, column in enumerate(board.columns):
        count = sum(counts.get(status_id, 0) for status_id in column["status_ids"])
        columns.append({"name": column["name"], "min": column.get("min"), "max": column.get("max"),
                        "statuses": [{"id": s, "name": catalog.status(s).name, "category": catalog.status(s).category}
                                     for s in column["status_ids"]],
                        "count": count, "wip_broken": _wip(column, count),
                        "issues": [card for card in cards if column_of[card["id"]] == index]})
    return {"board_id": board.id, "type": board.board_type, "filter_visible": saved is not None,
            "sprints": [sprint_view(s, links.get(s.id)) for s in sprints],
            "total": page_total, "shown": len(cards), "truncated": page_total > len(cards), "columns": columns,
            "swimlanes": {"type": (board.swimlanes or {}).get("type", "none"),
                          "lanes": await _lanes(session, actor=actor, board=board, catalog=catalog, cards=cards,
                                                column_of=column_of)},
            "quick_filters": [{**f, "active": f["id"] in quick_filters} for f in board.quick_filters]}


async def board_backlog(session: AsyncSession, *, actor: Actor, board: Board, quick_filters: Sequence[int] = (),
                        jql: str | None = None, start_at: int = 0, max_results: int = 100,
                        quota: SearchQuota | None = None) -> dict[str, Any]:
    """The board's issues not in an active or future sprint and not done, by rank."""
    await charge_client_jql_quota(quota, actor, jql)
    catalog = await catalog_for(session, actor)
    fields = agile_fields(catalog)
    saved = await board_filter(session, actor, board)
    if saved is None:
        return {"board_id": board.id, "filter_visible": False, "start_at": start_at, "max_results": max_results,
                "total": 0, "issues": []}
    plans = await plan_all(session, actor, [saved.jql, *(
        [board.sub_filter] if board.board_type == "kanban" else []), *_quick_filter_queries(board, quick_filters),
        jql or ""])
    page = await ranked_issues(session, actor=actor, plans=plans, extra=backlog_conditions(actor, fields, catalog),
                               start_at=start_at, max_results=max_results)
    return {"board_id": board.id, "filter_visible": True, "start_at": start_at, "max_results": max_results,
            "total": page.total, "issues": await _cards(session, actor, catalog, fields, page.issues, page.ranks)}


async def sprint_issues(session: AsyncSession, *, actor: Actor, sprint: Sprint, start_at: int = 0,
                        max_results: int = 100) -> dict[str, Any]:
    """The issues in a sprint now, by rank (only those the actor may see)."""
    catalog = await catalog_for(session, actor)
    fields = agile_fields(catalog)
    page = await ranked_issues(session, actor=actor, plans=[], extra=[in_sprints(actor, fields, [sprint.id])],
                               start_at=start_at, max_results=max_results)
    return {"sprint_id": sprint.id, "start_at": start_at, "max_results": max_results, "total": page.total,
            "issues": await _cards(session, actor, catalog, fields, page.issues, page.ranks)}


async def _cards(session: AsyncSession, actor: Actor, catalog: OrgCatalog, fields: AgileFields,
                 issues: list[Issue], ranks: dict[int, str]) -> list[dict[str, Any]]:
    return await render_cards(session, actor=actor, catalog=catalog, fields=fields,
                              issues=issues, ranks=ranks)


async def sprint_totals(session: AsyncSession, *, actor: Actor, sprint_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """{sprint id: {"issues": count, "estimate": sum of estimates}} over the issues the actor may
    see, whatever their number: one grouped query, nothing loaded."""
    if not sprint_ids:
        return {}
    fields = agile_fields(await catalog_for(session, actor))
    member, estimate = aliased(CustomFieldValue), aliased(CustomFieldValue)
    org = actor.organization_id
    summed = func.sum(estimate.value_number) if fields.estimate is not None else literal(0.0)
    query = (select(member.value_ref, func.count(Issue.id), summed).select_from(Issue)
             .join(member, and_(member.organization_id == org, member.issue_id == Issue.id,
                                member.field_id == fields.sprint.id, member.value_ref.in_(list(sprint_ids)))))
    if fields.estimate is not None:
        query = query.outerjoin(estimate, and_(estimate.organization_id == org, estimate.issue_id == Issue.id,
                                               estimate.field_id == fields.estimate.id))
    query = query.where(*visible_conditions(actor, session.get_bind().dialect.name)).group_by(member.value_ref)
    totals = {sprint_id: {"issues": 0, "estimate": 0.0} for sprint_id in sprint_ids}
    for sprint_id, count, total in (await session.execute(query)).all():
        totals[sprint_id] = {"issues": count, "estimate": float(total or 0)}
    return totals
