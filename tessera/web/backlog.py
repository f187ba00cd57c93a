"""A Scrum board's backlog and sprint planning in the browser: the active and future sprints,
each with its issue count and estimate total, then the ranked backlog. Lists show their first
page and load more on demand (never the whole backlog). Issues are dragged between the lists
and within one (static/backlog.js posts to /backlog/move); sprints are created, edited, started
and completed through dialogs whose forms also work without script."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.board_issues import board_backlog, sprint_issues, sprint_totals
from tessera.agile.boards import access_board
from tessera.agile.models import Board, Sprint, SprintBoard
from tessera.agile.sprint_planning import check_complete_sprint, check_plan_issue
from tessera.agile.sprints import (
    access_sprint,
    board_sprints,
    check_create_sprint,
    check_start_sprint,
    check_update_sprint,
)
from tessera.db.refs import parse_id, parse_int, require_id
from tessera.errors import InvalidInput, NotFound
from tessera.issues.service import access_issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 50  # issues per list and per "load more"


def _board_id(text: str) -> int:
    return require_id(text, not_found="Board not found.")


async def _scrum_board(session: AsyncSession, actor: Actor, board_id: str) -> tuple[Board, Project]:
    board, project = await access_board(session, actor, _board_id(board_id))
    if board.board_type != "scrum":
        raise InvalidInput("Only Scrum boards have sprints to plan.", field="board_id", code="not_a_scrum_board")
    return board, project


async def _board_sprint(session: AsyncSession, actor: Actor, board: Board, ref: str
                        ) -> tuple[Sprint, Project, SprintBoard | None]:
    """A sprint of this board (else NotFound, as for a missing one)."""
    sprint_id = parse_id(ref)
    if sprint_id is not None:
        sprint, project, link = await access_sprint(session, actor, sprint_id)
        if link is not None and link.board_id == board.id:
            return sprint, project, link
    raise NotFound("Sprint not found.")


def _day(form: dict[str, str], field: str) -> datetime | None:
    """A date input (YYYY-MM-DD) as midnight UTC; empty is None."""
    text = form.get(field, "").strip()
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise InvalidInput("A date is YYYY-MM-DD, e.g. 2026-03-02.", field=field) from None


async def _list_page(session: AsyncSession, actor: Actor, board: Board, which: str, start_at: int) -> dict[str, Any]:
    if which == "backlog":
        page = await board_backlog(session, actor=actor, board=board, start_at=start_at, max_results=PAGE)
    else:
        sprint, _, _ = await _board_sprint(session, actor, board, which)
        page = await sprint_issues(session, actor=actor, sprint=sprint, start_at=start_at, max_results=PAGE)
    shown = start_at + len(page["issues"])
    return {"list": which, "issues": page["issues"], "total": page["total"],
            "next_start": shown if shown < page["total"] else None}


@router.get("/boards/{board_id}/backlog")
async def backlog_page(board_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        board, project = await _scrum_board(session, actor, board_id)
        sprints = await board_sprints(session, actor.organization_id, board.id, ("active", "future"))
        totals = await sprint_totals(session, actor=actor, sprint_ids=[s.id for s in sprints])
        lists = [{"sprint": sprint, "totals": totals[sprint.id], **await _list_page(session, actor, board,
                                                                                    str(sprint.id), 0)}
                 for sprint in sprints]
        backlog = await _list_page(session, actor, board, "backlog", 0)
    return web.render("backlog.html", board=board, project=project, lists=lists, backlog=backlog,
                      has_active=any(s.state == "active" for s in sprints), nav="boards")


@router.get("/boards/{board_id}/backlog/issues")
async def more_issues(board_id: str, web: Web,
                      which: Annotated[str, Query(alias="list", max_length=20)] = "backlog",
                      start_at: Annotated[str, Query(max_length=12)] = "0") -> Response:
    """The next page of one list, as rows (HTMX "load more")."""
    start = parse_int(start_at)
    if start is None or start < 0:
        raise InvalidInput("start_at is a number from 0.", field="start_at")
    async with web.transaction() as (session, actor):
        board, _ = await _scrum_board(session, actor, board_id)
        page = await _list_page(session, actor, board, which, start)
    return web.render("partials/backlog_rows.html", board=board, page=page)


@router.post("/boards/{board_id}/backlog/move")
async def move_issue(board_id: str, web: Web) -> Response:
    """`issue` into the list `to` ("backlog" or a sprint id of this board), ranked before or after
    another issue (`rank_before` / `rank_after`)."""
    form = await web.form()
    async with web.transaction() as (session, actor):
        board, _ = await _scrum_board(session, actor, board_id)
        target = form.get("to", "backlog")
        sprint = None if target == "backlog" else (await _board_sprint(session, actor, board, target))[0]
        issue, project = await access_issue(session, actor, form.get("issue", ""))
        issue = await check_plan_issue(session, actor=actor, issue=issue, project=project, sprint=sprint,
                                       rank_before=form.get("rank_before") or None,
                                       rank_after=form.get("rank_after") or None)
    return JSONResponse({"key": issue.key, "to": target})


@router.post("/boards/{board_id}/sprints")
async def create_sprint(board_id: str, web: Web) -> Response:
    form = await web.form()
    async with web.transaction() as (session, actor):
        board, project = await _scrum_board(session, actor, board_id)
        await check_create_sprint(session, actor=actor, board=board, project=project, spec={
            "name": form.get("name", ""), "goal": form.get("goal", ""),
            "start_at": _day(form, "start_at"), "end_at": _day(form, "end_at")})
    return web.redirect(f"/boards/{board.id}/backlog")


@router.post("/boards/{board_id}/sprints/{sprint_id}/{action}")
async def change_sprint(board_id: str, sprint_id: str, action: str, web: Web) -> Response:
    """edit (name, goal, dates), start (goal, dates) or complete (where the open issues go)."""
    form = await web.form()
    async with web.transaction() as (session, actor):
        board, _ = await _scrum_board(session, actor, board_id)
        sprint, project, link = await _board_sprint(session, actor, board, sprint_id)
        dates = {key: _day(form, key) for key in ("start_at", "end_at") if form.get(key, "").strip()}
        if action == "edit":
            await check_update_sprint(session, actor=actor, sprint=sprint, project=project,
                                      spec={"name": form.get("name"), "goal": form.get("goal"), **dates})
        elif action == "start":
            await check_start_sprint(session, actor=actor, sprint=sprint, project=project, link=link,
                                     spec={"goal": form.get("goal"), **dates})
        elif action == "complete":
            await check_complete_sprint(session, actor=actor, sprint=sprint, project=project, link=link,
                                        move_open_issues_to=form.get("move_open_issues_to") or None)
        else:
            raise NotFound("Not found.")
    return web.redirect(f"/boards/{board.id}/backlog")
