"""PUT /v2/issues/{id}/rank on both backends: moves between any two issues write one rank and
renumber nothing, new issues get a tail rank at the bottom, long ranks trigger a rebalance that
keeps the order, and the errors and permissions."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import text

from tessera.agile.lexorank import REBALANCE_LENGTH
from tessera.agile.ranking import check_rank_issue
from tessera.config import Settings
from tessera.db.engine import Database
from tessera.issues.ranks import tail_rank
from tessera.issues.service import access_issue
from tessera.tenancy.auth import authenticate_token
from tests.factories.boards import backlog_keys, error, new_board, new_issue, ok, rank
from tests.factories.outbox import events
from tests.support import OrgHandle, fetch_rows, make_user


def stored_ranks(database_url: str, org: OrgHandle) -> dict[int, str]:
    rows = fetch_rows(database_url, "SELECT issue_id, rank FROM issue_ranks WHERE organization_id = :org",
                      {"org": org.organization_id})
    return {row["issue_id"]: row["rank"] for row in rows}


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def execute(database_url: str, sql: str, params: dict) -> None:
    async def run() -> None:
        database = Database(Settings(database_url=database_url))
        try:
            async with database.unit_of_work() as session:
                await session.execute(text(sql), params)
        finally:
            await database.dispose()
    asyncio.run(run())


def test_moves_write_one_rank_and_new_issues_wait_at_the_bottom(client: TestClient, database_url: str,
                                                                org: OrgHandle, project: dict) -> None:
    h = org.headers
    board = new_board(client, h, project)
    issues = {n: new_issue(client, h, project, f"Issue {n}") for n in range(1, 6)}
    keys = {n: issue["key"] for n, issue in issues.items()}
    assert backlog_keys(client, h, board) == [keys[n] for n in (1, 2, 3, 4, 5)]
    # Creating an issue gives it its tail rank: after everything, in creation order.
    created = stored_ranks(database_url, org)
    assert [created[issues[n]["id"]] for n in (1, 2, 3, 4, 5)] == sorted(created.values())
    assert all(value.startswith("9|") for value in created.values())

    placed = ok(rank(client, h, issues[5], rank_before=keys[2]))
    assert backlog_keys(client, h, board) == [keys[n] for n in (1, 5, 2, 3, 4)]
    ranks = stored_ranks(database_url, org)
    assert {i for i in ranks if ranks[i] != created[i]} == {issues[5]["id"]}  # nobody else was ranked
    assert placed["rank"] == ranks[issues[5]["id"]] and ranks[issues[1]["id"]] < placed["rank"] < ranks[issues[2]["id"]]

    late = new_issue(client, h, project, "Created last")
    assert backlog_keys(client, h, board)[-1] == late["key"]
    ok(rank(client, h, issues[1], rank_after=keys[4]))
    ok(rank(client, h, issues[3], rank_before=keys[5]))
    assert backlog_keys(client, h, board) == [keys[3], keys[5], keys[2], keys[4], keys[1], late["key"]]
    before = stored_ranks(database_url, org)
    ok(rank(client, h, issues[4], rank_after=late["key"]))
    after = stored_ranks(database_url, org)
    # One issue moved: its rank changed, nothing else was renumbered.
    assert {i for i in after if after[i] != before.get(i)} == {issues[4]["id"]}
    assert backlog_keys(client, h, board) == [keys[3], keys[5], keys[2], keys[1], late["key"], keys[4]]
    assert ok(rank(client, h, issues[4], rank_after=late["key"]))["rank"] == after[issues[4]["id"]]  # no-op
    # Moved to the very bottom, it is as if created then: issues created later still come after it.
    later = new_issue(client, h, project, "Created after the move")
    assert backlog_keys(client, h, board)[-2:] == [keys[4], later["key"]]
    ok(rank(client, h, issues[2], rank_before=keys[3]))  # to the top: ahead of every tail rank
    assert backlog_keys(client, h, board)[:2] == [keys[2], keys[3]]
    assert stored_ranks(database_url, org)[issues[2]["id"]].startswith("0|")

    ranked = events(database_url, org, "issue_ranked")
    assert [e["aggregate_id"] for e in ranked][:2] == [issues[5]["id"], issues[1]["id"]]
    assert ranked[0]["payload"]["rank_before"] == issues[2]["id"] and ranked[0]["payload"]["rank"] == placed["rank"]


def test_random_moves_keep_the_order_a_list_would(client: TestClient, org: OrgHandle, project: dict) -> None:
    h = org.headers
    board = new_board(client, h, project)
    issues = [new_issue(client, h, project, f"Issue {n}") for n in range(8)]
    model = [issue["key"] for issue in issues]
    by_key = {issue["key"]: issue for issue in issues}
    chooser = random.Random(6)
    for _ in range(25):
        moving, anchor = chooser.sample(model, 2)
        before = chooser.random() < 0.5
        ok(rank(client, h, by_key[moving], **{"rank_before" if before else "rank_after": anchor}))
        model.remove(moving)
        model.insert(model.index(anchor) + (0 if before else 1), moving)
    assert backlog_keys(client, h, board) == model


def test_a_rank_grown_too_long_rebalances_everything_in_order(client: TestClient, database_url: str,
                                                              org: OrgHandle, project: dict) -> None:
    h = org.headers
    board = new_board(client, h, project)
    issues = [new_issue(client, h, project, f"Issue {n}") for n in range(5)]
    # Five ranks in bucket 0, two of them neighbours whose gap needs more digits than a rank may have.
    tight = "h" + "z" * (REBALANCE_LENGTH - 1)
    for issue, value in zip(issues, ("0|1", "0|2", f"0|{tight}", "0|i", "0|j"), strict=True):
        execute(database_url, "UPDATE issue_ranks SET rank = :rank WHERE organization_id = :org AND issue_id = :issue",
                {"rank": value, "org": org.organization_id, "issue": issue["id"]})
    order = [issue["key"] for issue in issues]
    assert backlog_keys(client, h, board) == order
    moved = ok(rank(client, h, issues[1], rank_after=issues[2]["key"]))
    expected = [key for key in order if key != issues[1]["key"]]
    expected.insert(expected.index(issues[2]["key"]) + 1, issues[1]["key"])
    assert backlog_keys(client, h, board) == expected
    ranks = stored_ranks(database_url, org)
    assert all(value.startswith("1|") and len(value) <= 6 for value in ranks.values()), ranks
    assert moved["rank"] == ranks[issues[1]["id"]]


def test_rank_errors_and_permissions(client: TestClient, database_url: str, org: OrgHandle, project: dict) -> None:
    h = org.headers
    first, second = new_issue(client, h, project, "First"), new_issue(client, h, project, "Second")
    assert error(rank(client, h, first, rank_before=second["key"], rank_after=second["key"]), 400)["field"] == \
        "rank_after"
    assert error(rank(client, h, first), 400)["field"] == "rank_before"
    assert error(rank(client, h, first, rank_before=first["key"]), 400)["field"] == "rank_before"
    missing = error(rank(client, h, first, rank_after="PROJ-9999"), 400)
    assert missing["field"] == "rank_after" and missing["message"] == "The issue 'PROJ-9999' does not exist."
    viewer = make_user(database_url, org, role="viewer")
    assert error(rank(client, viewer.headers, first, rank_before=second["key"]), 403)["code"] == "permission_denied"
    member = make_user(database_url, org, role="member")
    ok(rank(client, member.headers, first, rank_after=second["key"]))
    secret = ok(client.post("/v2/projects", json={"key": "HIDE", "name": "Hidden", "access": "private"},
                            headers=h), 201)
    hidden = new_issue(client, h, secret, "Hidden")
    assert rank(client, member.headers, hidden, rank_before=first["key"]).status_code == 404
    # An issue the caller may not see, as an anchor, reads like a missing one.
    assert error(rank(client, member.headers, first, rank_before=hidden["key"]), 400)["message"] == \
        f"The issue '{hidden['key']}' does not exist."


def test_issues_without_a_rank_cost_a_move_nothing(client: TestClient, database_url: str, org: OrgHandle,
                                                    project: dict) -> None:
    """Issues written around the services (no tail rank) sort last, oldest first; a move next to
    one of them ranks that one alone (with its tail rank), not the issues before it."""
    h = org.headers
    board = new_board(client, h, project)
    issues = [new_issue(client, h, project, f"Issue {n}") for n in range(6)]
    execute(database_url, "DELETE FROM issue_ranks WHERE organization_id = :org", {"org": org.organization_id})
    ok(rank(client, h, issues[5], rank_before=issues[0]["key"]))
    ranks = stored_ranks(database_url, org)
    assert set(ranks) == {issues[0]["id"], issues[5]["id"]}
    assert ranks[issues[0]["id"]] == tail_rank(parse_time(issues[0]["created"]), issues[0]["id"])
    expected = [i["key"] for i in (issues[5], issues[0], *issues[1:5])]
    assert backlog_keys(client, h, board) == expected
    # Pages read the ranked ones from the rank index, then the unranked after them: a page that
    # straddles the two, and pages past every ranked one, continue the same order.
    for size in (1, 2, 4):
        pages = [ok(client.get(f"/v2/boards/{board['id']}/backlog", params={"start_at": start, "max_results": size},
                               headers=h)) for start in range(0, len(expected), size)]
        assert [card["key"] for page in pages for card in page["issues"]] == expected, size
        assert {page["total"] for page in pages} == {len(expected)}


def test_concurrent_moves_into_one_gap_all_land(client: TestClient, database_url: str, org: OrgHandle,
                                                project: dict) -> None:
    """Eight writers move eight issues right after the same issue at once: each waits for the
    organization's rank lock, so none picks a rank another took, and all of them succeed."""
    h = org.headers
    board = new_board(client, h, project)
    first, last = new_issue(client, h, project, "First"), new_issue(client, h, project, "Last")
    ok(rank(client, h, last, rank_after=first["key"]))
    movers = [new_issue(client, h, project, f"Mover {n}") for n in range(8)]

    async def move_all() -> list[object]:
        database = Database(Settings(database_url=database_url))

        async def move(issue: dict) -> str | None:
            async with database.unit_of_work() as session:
                actor = await authenticate_token(session, org.token, touch=False)
                moving, project_row = await access_issue(session, actor, issue["id"])
                return await check_rank_issue(session, actor=actor, issue=moving, project=project_row,
                                              rank_after=first["id"])
        try:
            return await asyncio.gather(*(move(issue) for issue in movers), return_exceptions=True)
        finally:
            await database.dispose()

    results = asyncio.run(move_all())
    assert all(isinstance(result, str) for result in results), results
    assert len(set(results)) == len(movers)
    order = backlog_keys(client, h, board)
    assert order[0] == first["key"] and order[-1] == last["key"]
    assert sorted(order[1:-1]) == sorted(m["key"] for m in movers)
