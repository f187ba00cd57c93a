"""Boards and their sprints from Jira Software's agile API (`/rest/agile/1.0`), where the site
has it and the account reads it: each board with its filter's JQL, its columns (by status
name), its swimlanes and quick filters, and every sprint of a scrum board with its state and
dates, future ones included (which no issue names yet). Read at each pull (`read_boards`),
created after the issues (`import_boards`), once per Jira board and sprint id (the import
mapping remembers them).

Quick filters come from the agile API's `/board/{id}/quickfilter` (Cloud, Data Center 8+), else
from Jira Server's board editor model (`/rest/greenhopper/1.0/rapidviewconfig/editmodel.json`),
which is also the only place Jira serves swimlanes: by assignee, epic or priority, or custom
(JQL) lanes. A quick filter or lane whose JQL Tessera does not understand is left out, and the
report names it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from tessera.agile.boards import check_create_board
from tessera.agile.models import Board, Sprint, SprintBoard
from tessera.db.engine import Database
from tessera.errors import InvalidInput, TesseraError
from tessera.importing.jira.client import JiraClient, JiraUnavailable
from tessera.importing.jira.values import parse_time
from tessera.importing.models import ImportMapping
from tessera.projects.models import Project
from tessera.tenancy.actor import Actor
from tessera.tenancy.models import User
from tessera.tenancy.service import load_organization_by_key

AGILE = "/rest/agile/1.0"
GREENHOPPER = "/rest/greenhopper/1.0"
# Jira's swimlane strategies and Tessera's swimlane types ("custom" lanes are JQL queries).
SWIMLANES = {"none": "none", "assignee": "assignee", "assigneeunassignedfirst": "assignee", "epic": "epic",
             "priority": "priority", "custom": "queries"}


def read_boards(client: JiraClient, api: str, project_keys: list[str],
                skip: Callable[[str, str], None]) -> list[dict[str, Any]]:
    statuses = {str(s.get("id")): str(s.get("name")) for s in client.get(f"{api}/status", missing_ok=True) or []
                if isinstance(s, dict)}
    found: dict[str, dict[str, Any]] = {}
    for key in project_keys:
        try:
            boards = _values(client, f"{AGILE}/board", {"projectKeyOrId": key})
        except JiraUnavailable as error:
            skip("boards not readable (no Jira Software, or no permission)", f"{key}: {error.message[:120]}")
            continue
        if boards is None:
            skip("boards not readable (no Jira Software, or no permission)", key)
            continue
        for board in boards:
            board_id = str(board.get("id"))
            if board_id in found:
                continue
            config = client.get(f"{AGILE}/board/{board_id}/configuration", missing_ok=True) or {}
            filter_id = (config.get("filter") or {}).get("id")
            saved = client.get(f"{api}/filter/{filter_id}", missing_ok=True) if filter_id else None
            columns = [{"name": str(c.get("name")), "statuses": [statuses[str(s.get("id"))] for s in c.get("statuses")
                                                                 or [] if str(s.get("id")) in statuses]}
                       for c in (config.get("columnConfig") or {}).get("columns") or [] if c.get("name")]
            sprints: list[dict[str, Any]] = []
            if str(board.get("type") or config.get("type") or "").lower() == "scrum":
                try:
                    sprints = _values(client, f"{AGILE}/board/{board_id}/sprint", {}) or []
                except JiraUnavailable as error:
                    skip("sprints of a board not readable", f"{board.get('name')}: {error.message[:120]}")
            swimlanes, quick_filters = _lanes_and_quick_filters(client, board_id, skip, str(board.get("name")))
            found[board_id] = {"id": board_id, "name": str(board.get("name") or f"Board {board_id}")[:255],
                               "type": "kanban" if str(board.get("type")).lower() == "kanban" else "scrum",
                               "project": key, "jql": (saved or {}).get("jql"), "columns": columns,
                               "sprints": sprints, "swimlanes": swimlanes, "quick_filters": quick_filters}
    return list(found.values())


def _lanes_and_quick_filters(client: JiraClient, board_id: str, skip: Callable[[str, str], None],
                             name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(swimlanes as Tessera's board config has them, or None when the site does not say;
    quick filters [{name, jql, description}] in their order)."""
    try:
        listed = _values(client, f"{AGILE}/board/{board_id}/quickfilter", {})
        model = client.get(f"{GREENHOPPER}/rapidviewconfig/editmodel.json", {"rapidViewId": board_id},
                           missing_ok=True)
    except JiraUnavailable as error:  # Cloud answers the private API with a 403 or 401 at times
        skip("board swimlanes and quick filters not readable", f"{name}: {error.message[:120]}")
        return None, []
    model = model if isinstance(model, dict) else {}
    if listed is None:
        listed = [{"name": q.get("name"), "jql": q.get("query"), "description": q.get("description"),
                   "position": q.get("position")} for q in (model.get("quickFilterConfig") or {}).get("quickFilters")
                  or [] if isinstance(q, dict)]
    quick_filters = [{"name": str(q["name"])[:255], "jql": str(q["jql"]), "description": str(q.get("description") or "")}
                     for q in sorted(listed, key=lambda q: q.get("position") if isinstance(q.get("position"), int) else 0)
                     if q.get("name") and q.get("jql")]
    config = model.get("swimlanesConfig")
    if not isinstance(config, dict):
        return None, quick_filters
    strategy = str(config.get("swimlaneStrategy") or "none")
    kind = SWIMLANES.get(strategy.casefold())
    if kind is None:
        skip(f"swimlanes by {strategy} (Tessera has none such); the board has none", name)
        return {"type": "none", "queries": []}, quick_filters
    queries = [{"name": str(lane["name"])[:255], "jql": str(lane["query"])} for lane in config.get("swimlanes") or []
               if isinstance(lane, dict) and lane.get("name") and lane.get("query") and not lane.get("isDefault")]
    if kind == "queries" and not queries:
        kind = "none"
    return {"type": kind, "queries": queries if kind == "queries" else []}, quick_filters


def _values(client: JiraClient, path: str, params: dict[str, Any]) -> list[dict[str, Any]] | None:
    collected: list[dict[str, Any]] = []
    while True:
        page = client.get(path, {**params, "startAt": len(collected), "maxResults": 50}, missing_ok=True)
        if page is None:
            return None
        values = page.get("values") or []
        collected += values
        if not values or page.get("isLast", True):
            return collected


async def import_boards(database: Database, *, org_key: str, site: str, boards: list[dict[str, Any]],
                        statuses: dict[str, dict[str, Any]], skip: Callable[[str, str], None]) -> tuple[int, int]:
    """(boards created, sprints created). `statuses` is the mapping's section: the source's status
    names to Tessera's."""
    made_boards = made_sprints = 0
    async with database.unit_of_work() as session:
        organization = await load_organization_by_key(session, org_key)
        org = organization.id
        admin = await session.scalar(select(User).where(User.organization_id == org, User.role == "admin",
                                                        User.active.is_(True)).order_by(User.id))
        if admin is None:
            for board in boards:
                skip("no active administrator in the organization to own the board", board["name"])
            return 0, 0
        actor = Actor(organization_id=org, user_id=admin.id, email=admin.email, display_name=admin.display_name,
                      org_role=admin.role, via="system", organization_key=organization.key,
                      catalog_version=organization.catalog_version)
        known = {(kind, external): local for kind, external, local in (await session.execute(select(
            ImportMapping.kind, ImportMapping.external_id, ImportMapping.local_id).where(
            ImportMapping.organization_id == org, ImportMapping.site == site,
            ImportMapping.kind.in_(("board", "sprint"))))).all()}
        projects = dict((await session.execute(select(Project.key, Project.id).where(
            Project.organization_id == org))).all())
    for board in boards:
        project_id = projects.get(board["project"])
        if project_id is None:
            continue
        board_id = known.get(("board", board["id"]))
        if board_id is None:
            board_id = await _create_board(database, actor, board, project_id, statuses, site, skip)
            if board_id is None:
                continue
            made_boards += 1
        async with database.unit_of_work() as session:
            for raw in board["sprints"]:
                external = str(raw.get("id"))
                values = {"name": str(raw.get("name") or f"Sprint {external}")[:255],
                          "state": raw.get("state") if raw.get("state") in ("future", "active", "closed") else "closed",
                          "start_at": parse_time(raw.get("startDate")), "end_at": parse_time(raw.get("endDate")),
                          "completed_at": parse_time(raw.get("completeDate"))}
                sprint = None
                if ("sprint", external) in known:
                    sprint = await session.scalar(select(Sprint).where(Sprint.organization_id == actor.organization_id,
                                                                       Sprint.id == known[("sprint", external)]))
                if sprint is None:
                    sprint = Sprint(organization_id=actor.organization_id, project_id=project_id,
                                    goal=str(raw.get("goal") or ""), **values)
                    session.add(sprint)
                    await session.flush()
                    session.add(ImportMapping(organization_id=actor.organization_id, site=site, kind="sprint",
                                              external_id=external, local_id=sprint.id))
                    known[("sprint", external)] = sprint.id
                    made_sprints += 1
                else:  # the board's word on the sprint is fuller than an issue's Sprint field
                    sprint.goal = str(raw.get("goal") or sprint.goal)
                    for name, value in values.items():
                        if value is not None:
                            setattr(sprint, name, value)
                link = await session.scalar(select(SprintBoard).where(
                    SprintBoard.organization_id == actor.organization_id, SprintBoard.sprint_id == sprint.id))
                if link is None:
                    session.add(SprintBoard(organization_id=actor.organization_id, sprint_id=sprint.id,
                                            board_id=board_id, activated_at=parse_time(
                                                raw.get("activatedDate") or raw.get("startDate"))))
    return made_boards, made_sprints


async def _create_board(database: Database, actor: Actor, board: dict[str, Any], project_id: int,
                        statuses: dict[str, dict[str, Any]], site: str, skip: Callable[[str, str], None]) -> int | None:
    columns = []
    placed: set[str] = set()
    for column in board["columns"]:
        names = []
        for name in column["statuses"]:
            target = str((statuses.get(name) or {}).get("to") or name)
            if target.casefold() not in placed:
                placed.add(target.casefold())
                names.append(target)
        columns.append({"name": column["name"], "status_ids": names})
    quick_filters = list(board.get("quick_filters") or [])
    swimlanes = board.get("swimlanes")
    # the board as Jira had it; else (its JQL names what Tessera lacks, say) the project's issues
    # under the default columns, and the report says so. A quick filter or swimlane Tessera
    # does not understand is dropped alone (the error names which), and the report names it.
    attempts = [{"jql": board["jql"], "columns": columns or None}, {"jql": None, "columns": None}]
    number = 0
    while number < len(attempts):
        attempt = attempts[number]
        try:
            async with database.unit_of_work() as session:
                created: Board = await check_create_board(session, actor=actor, spec={
                    "name": board["name"], "type": board["type"], "project_id": project_id,
                    **({"jql": attempt["jql"]} if attempt["jql"] else {}),
                    **({"columns": attempt["columns"]} if attempt["columns"] else {}),
                    **({"swimlanes": swimlanes} if swimlanes else {}),
                    **({"quick_filters": quick_filters} if quick_filters else {})})
                session.add(ImportMapping(organization_id=actor.organization_id, site=site, kind="board",
                                          external_id=board["id"], local_id=created.id))
                if number:
                    skip("board filter or columns not understood here; it shows its project's issues in "
                         "the default columns", board["name"])
                return created.id
        except InvalidInput as error:
            place = (error.field or "").split(".")
            if place[0] == "quick_filters" and len(place) > 1 and place[1].isdigit() and \
                    int(place[1]) < len(quick_filters):
                dropped = quick_filters.pop(int(place[1]))
                skip("board quick filter not understood here (left out)",
                     f"{board['name']}: {dropped['name']} ({error.message[:100]})")
                continue
            if place[0] == "swimlanes" and swimlanes:
                lanes = list(swimlanes.get("queries") or [])
                if len(place) > 2 and place[2].isdigit() and int(place[2]) < len(lanes):
                    dropped = lanes.pop(int(place[2]))
                    skip("board swimlane not understood here (left out)",
                         f"{board['name']}: {dropped['name']} ({error.message[:100]})")
                    swimlanes = {"type": "queries", "queries": lanes} if lanes else None
                else:
                    swimlanes = None
                continue
            if number == len(attempts) - 1:
                skip(f"board not created ({error.message[:120]})", board["name"])
            number += 1
        except TesseraError as error:
            if number == len(attempts) - 1:
                skip(f"board not created ({error.message[:120]})", board["name"])
            number += 1
    return None
