"""Boards in the browser: the list of visible boards, and a board with its columns (WIP limits
shown when broken), swimlanes and quick filters. A card moves to another column, or is ranked
within one, by drag and drop or the keyboard (static/board.js) or with the card's form without
script; each runs the workflow transition as the API's card move does. When that transition
has a screen, a script move first gets the screen as a dialog and posts again with its fields."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from tessera.agile.board_issues import board_issues
from tessera.agile.boards import access_board, describe_boards, list_boards
from tessera.agile.card_moves import ScreenNeeded, check_move_card
from tessera.db.refs import parse_id, parse_int, require_id
from tessera.issues.audience import assignable_users
from tessera.issues.references import catalog_for
from tessera.issues.service import access_issue
from tessera.web.context import Web
from tessera.web.errors import WebRoute
from tessera.web.issue_view import screen_fields

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _board_id(text: str) -> int:
    return require_id(text, not_found="Board not found.")


def _column(text: str) -> int | str | None:
    """A column's index (its position on the board) or, when not a number, its name."""
    index = parse_int(text)
    return index if index is not None else text or None


@router.get("/boards")
async def boards_page(web: Web) -> Response:
    async with web.transaction() as (session, actor):
        boards, _ = await list_boards(session, actor, max_results=200)
        listed = await describe_boards(session, actor, boards)
    return web.render("boards.html", boards=listed, nav="boards")


@router.get("/boards/{board_id}")
async def board_page(board_id: str, web: Web, quick_filter: Annotated[list[str], Query(max_length=50)] = []
                     ) -> Response:
    chosen = [number for number in map(parse_id, quick_filter) if number is not None]
    async with web.transaction() as (session, actor):
        board, project = await access_board(session, actor, _board_id(board_id))
        view = await board_issues(session, actor=actor, board=board, quick_filters=chosen)

    def toggle_url(filter_id: int) -> str:
        wanted = [q for q in chosen if q != filter_id] if filter_id in chosen else [*chosen, filter_id]
        return f"/boards/{board.id}" + (f"?{urlencode({'quick_filter': wanted}, doseq=True)}" if wanted else "")

    cards = {card["id"]: card for column in view["columns"] for card in column["issues"]}
    column_of = {card["id"]: index for index, column in enumerate(view["columns"]) for card in column["issues"]}
    query = web.request.url.query
    # The board's script refreshes the columns alone when someone else changes an issue.
    template = "partials/board_body.html" if web.is_htmx else "board.html"
    return web.render(template, board=board, project=project, view=view, cards=cards, column_of=column_of,
                      toggle_url=toggle_url, back=f"/boards/{board.id}" + (f"?{query}" if query else ""),
                      nav="boards")


@router.post("/boards/{board_id}/cards/{issue_key}/move")
async def move_card(board_id: str, issue_key: str, web: Web) -> Response:
    """A plain form redirects back to the board. The board's script (an HTMX-style request)
    gets JSON: the card's new status and column; or, when the transition has a screen and the
    post did not come from that screen (`screen=done`), the screen as a dialog to fill in."""
    form = await web.form()
    column = form.get("column", "")
    spec: dict[str, object] = {"column": _column(column) if column else None,
                               "rank_before": form.get("rank_before") or None,
                               "rank_after": form.get("rank_after") or None}
    async with web.transaction() as (session, actor):
        board, _ = await access_board(session, actor, _board_id(board_id))
        issue, project = await access_issue(session, actor, issue_key)
        if form.get("screen") == "done":
            spec |= {"fields": screen_fields(form), "comment": form.get("comment") or None}
        else:
            spec["screen_first"] = web.is_htmx
        try:
            issue = await check_move_card(session, actor=actor, board=board, issue=issue, project=project, spec=spec)
        except ScreenNeeded as needed:
            users = await assignable_users(session, project, max_results=200)
            return web.render("partials/move_screen.html", headers={"X-Tessera-Screen": "1"}, board=board,
                              issue=issue, transition=needed.transition, form=form, users=users,
                              catalog=await catalog_for(session, actor))
        status = (await catalog_for(session, actor)).status(issue.status_id)
    if web.is_htmx:
        return JSONResponse({"key": issue.key, "version": issue.version,
                             "status": {"id": status.id, "name": status.name, "category": status.category}})
    back = form.get("back", "")
    here = f"/boards/{board.id}"
    return web.redirect(back if back == here or back.startswith(here + "?") else here)
