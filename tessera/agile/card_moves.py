"""Moving a card on a board: into another column runs the workflow transition that leads from
the issue's status to a status of that column, with its conditions (403), validators (400,
every failure) and post-functions, exactly as running it on the issue would; then, if asked,
the card is ranked before or after another issue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.agile.board_search import plan_all, ranked_issues
from tessera.agile.boards import board_filter
from tessera.agile.models import Board
from tessera.agile.ranking import access_rank_anchor, do_rank_issues
from tessera.db.refs import parse_id
from tessera.errors import Conflict, InvalidInput
from tessera.issues.models import Issue
from tessera.issues.references import OrgCatalog, catalog_for
from tessera.issues.transitions import available_transitions, check_transition_issue
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.permissions import Permission, authorize
from tessera.workflow import engine


def _target_column(board: Board, catalog: OrgCatalog, column: object, status: object) -> tuple[dict, int | None]:
    """(the column, the status asked for or None) from a column name or position and/or a status."""
    found: dict | None = None
    if column is not None:
        position = column if isinstance(column, int) and not isinstance(column, bool) else None
        if position is not None and 0 <= position < len(board.columns):
            found = board.columns[position]
        elif isinstance(column, str):
            found = next((c for c in board.columns if c["name"].casefold() == column.strip().casefold()), None)
        if found is None:
            raise InvalidInput(f"The column '{str(column)[:100]}' is not on this board.", field="column")
    status_id = None
    if status is not None:
        wanted = parse_id(status)
        match = next((s for s in catalog.statuses if s.id == wanted or (
            isinstance(status, str) and s.name.casefold() == status.strip().casefold())), None)
        holder = next((c for c in board.columns if match is not None and match.id in c["status_ids"]), None)
        if match is None or holder is None or (found is not None and holder is not found):
            raise InvalidInput(f"The status '{str(status)[:100]}' is not in "
                               f"{'that column' if found is not None else 'a column of this board'}.",
                               field="status_id")
        found, status_id = holder, match.id
    if found is None:
        raise InvalidInput("Name the column (or the status) to move the card to.", field="column")
    return found, status_id


async def _is_on_board(session: AsyncSession, actor: Actor, board: Board, issue: Issue) -> bool:
    saved = await board_filter(session, actor, board)
    if saved is None:
        return False
    plans = await plan_all(session, actor, [saved.jql, *([board.sub_filter] if board.board_type == "kanban" else [])])
    page = await ranked_issues(session, actor=actor, plans=plans, extra=[Issue.id == issue.id], max_results=0)
    return page.total == 1


async def _pick_transition(session: AsyncSession, *, actor: Actor, issue: Issue, project: Project,
                           catalog: OrgCatalog, targets: list[int], column_name: str) -> dict:
    """The first transition (in the workflow's order, not hidden) from the issue's status into
    one of `targets`, preferring one whose conditions the actor passes now."""
    definition = catalog.workflow(issue.workflow_id).definition
    candidates = [t for t in definition.get("transitions", [])
                  if engine.starts_from(t, issue.status_id) and t["to"] in targets and not t.get("hidden")]
    if not candidates:
        current = catalog.status(issue.status_id).name
        raise Conflict(f"No transition of {issue.key}'s workflow leads from {current} to column '{column_name}'.",
                       code="no_transition", data={"status_id": issue.status_id})
    runnable = {t["id"] for t in await available_transitions(session, actor=actor, issue=issue, project=project)}
    return next((t for t in candidates if str(t["id"]) in runnable), candidates[0])


async def _move_transition(session: AsyncSession, *, actor: Actor, board: Board, issue: Issue, project: Project,
                           catalog: OrgCatalog, spec: Mapping[str, Any]) -> dict | None:
    column, status_id = _target_column(board, catalog, spec.get("column"), spec.get("status_id"))
    targets = [status_id] if status_id is not None else list(column["status_ids"])
    if issue.status_id in targets:
        return None
    return await _pick_transition(session, actor=actor, issue=issue, project=project, catalog=catalog,
                                  targets=targets, column_name=column["name"])


class ScreenNeeded(Exception):  # noqa: N818 - a request for input, not a failure
    """The move's transition has a screen and the move asked to stop before it (`screen_first`)."""

    def __init__(self, transition: dict) -> None:
        super().__init__(transition["name"])
        self.transition = transition


async def check_move_card(session: AsyncSession, *, actor: Actor, board: Board, issue: Issue, project: Project,
                          spec: Mapping[str, Any]) -> Issue:
    """`spec`: column (name or position) and/or status_id, rank_before / rank_after, and the
    transition's screen `fields` and `comment`. With `screen_first` (the web board, which opens
    the screen as a dialog) a transition with a screen raises ScreenNeeded instead of running."""
    catalog = await catalog_for(session, actor)
    wants_move = spec.get("column") is not None or spec.get("status_id") is not None
    anchor = await access_rank_anchor(session, actor, rank_before=spec.get("rank_before"),
                                      rank_after=spec.get("rank_after"))
    if not wants_move and anchor is None:
        raise InvalidInput("Name the column to move the card to, or an issue to rank it next to.", field="column")
    if not await _is_on_board(session, actor, board, issue):
        raise InvalidInput(f"{issue.key} is not on this board.", field="issue_id", code="not_on_board")
    if wants_move:
        transition = await _move_transition(session, actor=actor, board=board, issue=issue, project=project,
                                            catalog=catalog, spec=spec)
        if transition is not None and spec.get("screen_first") and transition.get("screen"):
            raise ScreenNeeded(transition)
        if transition is not None:
            issue = await check_transition_issue(session, actor=actor, issue=issue, project=project,
                                                 transition_ref=str(transition["id"]), fields=spec.get("fields") or {},
                                                 comment=spec.get("comment"), expected_version=spec.get("version"))
    if anchor is not None and anchor[0].id != issue.id:
        await authorize(session, actor, Permission.SCHEDULE_ISSUES, project)
        await do_rank_issues(session, actor=actor, issues=[issue], anchor=anchor[0], before=anchor[1])
    return issue
