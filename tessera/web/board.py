"""Boards in the browser: the list of visible boards, and a board with its columns (WIP limits
shown when broken), swimlanes and quick filters; a card moves to another column with a form,
which runs the workflow transition as the API's card move does."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tessera.agile.board_issues import board_issues
from tessera.agile.boards import access_board, describe_boards, list_boards
from tessera.agile.card_moves import check_move_card
from tessera.db.refs import parse_id, parse_int, require_id
from tessera.issues.service import access_issue
from tessera.web.context import Web
from tessera.web.errors import WebRoute

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
    return web.render("board.html", board=board, project=project, view=view, cards=cards, column_of=column_of,
                      toggle_url=toggle_url, back=f"/boards/{board.id}" + (f"?{query}" if query else ""),
                      nav="boards")


@router.post("/boards/{board_id}/cards/{issue_key}/move")
async def move_card(board_id: str, issue_key: str, web: Web) -> Response:
    form = await web.form()
    async with web.transaction() as (session, actor):
        board, _ = await access_board(session, actor, _board_id(board_id))
        issue, project = await access_issue(session, actor, issue_key)
        column = form.get("column", "")
        await check_move_card(session, actor=actor, board=board, issue=issue, project=project,
                              spec={"column": _column(column)})
    back = form.get("back", "")
    here = f"/boards/{board.id}"
    return web.redirect(back if back == here or back.startswith(here + "?") else here)
