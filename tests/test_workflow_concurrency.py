"""Concurrent transitions against a real `tessera serve` process, on SQLite and on PostgreSQL:
clients that run transitions on the same issue at the same moment from the same source status
never both succeed; the losers get 409 and the history holds one status change per round."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.factories.servers import Server, client_for, make_project, run_server
from tests.support import fresh_postgres_database

pytestmark = pytest.mark.slow

ROUNDS = 20
CLIENTS = 10
FORK: dict = {
    "name": "Fork", "key": "fork",
    "statuses": [{"name": "Fork open", "category": "todo"}, {"name": "Went left", "category": "in_progress"},
                 {"name": "Went right", "category": "done"}],
    "initial_status": "Fork open",
    "transitions": [
        {"id": "left", "name": "Left", "from": ["Fork open"], "to": "Went left",
         "post_functions": [{"type": "assign", "params": {"to": "current_user"}},
                            {"type": "fire_event", "params": {"event": "went_left"}}]},
        {"id": "right", "name": "Right", "from": ["Fork open"], "to": "Went right",
         "post_functions": [{"type": "add_comment", "params": {"body": "Went right."}}]},
    ],
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           postgres_skip_reason: str | None) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("workflow-concurrency")
    if request.param == "postgres":
        if postgres_skip_reason:
            pytest.skip(postgres_skip_reason)
        with fresh_postgres_database() as url:
            yield from run_server(url, directory)
    else:
        yield from run_server(f"sqlite:///{directory}/tessera.db", directory)


async def contend(server: Server, *, workflow: str | None, transitions: list[str], with_version: bool
                  ) -> list[tuple[int, str]]:
    """ROUNDS fresh issues; in each, CLIENTS clients fire at once, client i running
    transitions[i % len(transitions)]. Returns (issue id, status reached) per round."""
    clients = [client_for(server) for _ in range(CLIENTS)]
    winners: list[tuple[int, str]] = []
    try:
        admin = clients[0]
        project = await make_project(admin)
        for _ in range(ROUNDS):
            body = {"project_id": project["id"], "issue_type": "Task", "summary": "Contended"}
            created = await admin.post("/v2/issues", json={**body, **({"workflow_id": workflow} if workflow else {})})
            assert created.status_code == 201, created.text
            issue = created.json()
            # Warm every connection so that the contended requests leave together.
            await asyncio.gather(*(c.get(f"/v2/issues/{issue['id']}/transitions") for c in clients))
            payload = {"version": issue["version"]} if with_version else {}
            responses = await asyncio.gather(*(
                client.post(f"/v2/issues/{issue['id']}/transitions/{transitions[i % len(transitions)]}",
                            json=payload) for i, client in enumerate(clients)))
            statuses = [r.status_code for r in responses]
            assert sorted(statuses) == [200] + [409] * (CLIENTS - 1), [r.text for r in responses]
            winner = statuses.index(200)
            for loser in (r for r in responses if r.status_code == 409):
                assert loser.json()["error"]["code"] in ("transition_unavailable", "version_conflict"), loser.text
            after = (await admin.get(f"/v2/issues/{issue['id']}")).json()
            assert after["version"] == issue["version"] + 1
            assert after["status"]["name"] == responses[winner].json()["status"]["name"]
            changelog = (await admin.get(f"/v2/issues/{issue['id']}/changelog")).json()
            moves = [item for history in changelog["histories"] for item in history["items"]
                     if item["field"] == "status"]
            assert len(moves) == 1 and moves[0]["to_string"] == after["status"]["name"], changelog
            winners.append((issue["id"], after["status"]["name"]))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return winners


async def test_the_same_transition_at_once_succeeds_once(server: Server) -> None:
    winners = await contend(server, workflow=None, transitions=["21"], with_version=False)
    assert {status for _, status in winners} == {"In Progress"}


async def test_two_transitions_from_one_status_at_once_never_both_succeed(server: Server) -> None:
    async with client_for(server) as admin:
        created = await admin.post("/v2/workflows", json=FORK)
        assert created.status_code in (201, 409), created.text
    winners = await contend(server, workflow="fork", transitions=["left", "right"], with_version=False)
    assert {status for _, status in winners} <= {"Went left", "Went right"}
    async with client_for(server) as admin:
        # Only the winner's post-functions ran.
        for issue_id, status in winners:
            issue = (await admin.get(f"/v2/issues/{issue_id}")).json()
            comments = (await admin.get(f"/v2/issues/{issue_id}/comments")).json()["total"]
            if status == "Went right":
                assert (comments, issue["assignee"]) == (1, None)
            else:
                assert comments == 0 and issue["assignee"]["id"] == server.admin_user_id


async def test_a_global_transition_racing_with_a_stale_version_conflicts(server: Server) -> None:
    """Won't Do is global: run after In Progress it would be valid, so clients send the
    version they read; whatever runs second finds it stale."""
    winners = await contend(server, workflow=None, transitions=["21", "51"], with_version=True)
    assert {status for _, status in winners} <= {"In Progress", "Won't Do"}



async def test_publishing_one_draft_twice_at_once_moves_each_issue_once(server: Server) -> None:
    """Two administrators publish the same draft at the same moment: one publishes, the other
    finds nothing left to publish; each stranded issue moves once, with one history entry."""
    flow = {"name": "Racy", "key": "racy",
            "statuses": [{"name": "Racy open", "category": "todo"}, {"name": "Racy old", "category": "in_progress"}],
            "initial_status": "Racy open",
            "transitions": [{"id": "go", "name": "Go", "from": ["Racy open"], "to": "Racy old"}]}
    draft = {**flow, "statuses": [{"name": "Racy open", "category": "todo"},
                                  {"name": "Racy new", "category": "in_progress"}],
             "transitions": [{"id": "go", "name": "Go", "from": ["Racy open"], "to": "Racy new"}]}
    clients = [client_for(server) for _ in range(4)]
    try:
        admin = clients[0]
        # The draft's statuses exist already, so publishing creates no status rows.
        helper = await admin.post("/v2/workflows", json={**draft, "key": "racy_statuses", "name": "Racy statuses"})
        assert helper.status_code == 201, helper.text
        created = await admin.post("/v2/workflows", json=flow)
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
        project = await make_project(admin)
        issues = []
        for _ in range(10):
            issue = (await admin.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                          "summary": "Stranded", "workflow_id": "racy"})).json()
            assert (await admin.post(f"/v2/issues/{issue['id']}/transitions/go")).status_code == 200
            issues.append(issue)
        assert (await admin.put(f"/v2/workflows/{workflow_id}", json=draft)).status_code == 200
        body = {"status_mapping": {"Racy old": "Racy new"}}
        responses = await asyncio.gather(*(c.post(f"/v2/workflows/{workflow_id}/publish", json=body)
                                           for c in clients))
        codes = sorted(r.status_code for r in responses)
        assert codes.count(200) == 1, [r.text for r in responses]
        assert all(code in (400, 409) for code in codes if code != 200), [r.text for r in responses]
        assert (await admin.get(f"/v2/workflows/{workflow_id}")).json()["version"] == 2
        for issue in issues:
            now = (await admin.get(f"/v2/issues/{issue['id']}")).json()
            assert (now["status"]["name"], now["version"]) == ("Racy new", 3)
            changelog = (await admin.get(f"/v2/issues/{issue['id']}/changelog")).json()
            moves = [(i["from_string"], i["to_string"]) for h in changelog["histories"] for i in h["items"]]
            assert moves == [("Racy open", "Racy old"), ("Racy old", "Racy new")], moves
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def test_assigning_a_scheme_twice_at_once_moves_each_issue_once(server: Server) -> None:
    target = {"name": "Scheme target", "key": "scheme_target",
              "statuses": [{"name": "Queue", "category": "todo"}, {"name": "Serving", "category": "in_progress"}],
              "initial_status": "Queue",
              "transitions": [{"id": "serve", "name": "Serve", "from": ["Queue"], "to": "Serving"}]}
    clients = [client_for(server) for _ in range(4)]
    try:
        admin = clients[0]
        assert (await admin.post("/v2/workflows", json=target)).status_code == 201
        for _ in range(3):
            project = await make_project(admin)
            issues = [(await admin.post("/v2/issues", json={"project_id": project["id"], "issue_type": "Task",
                                                            "summary": "Moving"})).json() for _ in range(8)]
            scheme = await admin.post("/v2/workflow-schemes", json={
                "name": f"Everything to target {project['key']}", "default_workflow": "scheme_target"})
            assert scheme.status_code == 201, scheme.text
            body = {"workflow_scheme_id": scheme.json()["id"], "status_mapping": {"To Do": "Queue"}}
            responses = await asyncio.gather(*(c.put(f"/v2/projects/{project['id']}/workflow-scheme", json=body)
                                               for c in clients))
            assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
            assert sum(r.json()["moved"] for r in responses if r.status_code == 200) == 8, [r.text for r in responses]
            for issue in issues:
                now = (await admin.get(f"/v2/issues/{issue['id']}")).json()
                assert (now["status"]["name"], now["version"]) == ("Queue", 2)
                changelog = (await admin.get(f"/v2/issues/{issue['id']}/changelog")).json()
                moves = [(i["from_string"], i["to_string"]) for h in changelog["histories"] for i in h["items"]]
                assert moves == [("To Do", "Queue")], moves
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
